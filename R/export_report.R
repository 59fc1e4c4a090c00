# The output-check report written by export_outputs(): markdown and a
# self-contained HTML page (base R only), one section per output.

report_markdown <- function(check, outputs, rule, dir, n_log = 0L) {
  esc <- function(x) gsub("|", "\\|", x, fixed = TRUE)
  over <- !is.na(check$override)
  lines <- c(
    "# Output-check report",
    "",
    paste0("- Written: ", format(Sys.time(), "%Y-%m-%d %H:%M %Z")),
    paste0("- matequity ", utils::packageVersion("matequity")),
    paste0("- Checked against rule: ", rule_name(rule), " (", describe_rule(rule), ")"),
    paste0("- Outputs: ", nrow(check), " (", sum(check$status == "pass"), " pass, ",
           sum(check$status == "review"), " review, ",
           sum(check$status == "fail"), " fail",
           if (any(over)) paste0(", released by override: ", sum(over)), ")"),
    paste0("- ", release_log_note(n_log)),
    "",
    "| output | type | file | status | rule | reason |",
    "|---|---|---|---|---|---|",
    paste0("| ", esc(check$output), " | ", check$type, " | ", esc(check$file),
           " | **", toupper(check$status), "**",
           ifelse(over, " (override)", ""), " | ",
           ifelse(is.na(check$rule), "", esc(check$rule)), " | ",
           esc(check$reason), " |"),
    "")
  for (i in seq_len(nrow(check))) {
    x <- outputs[[i]]
    lines <- c(lines, paste0("## ", check$output[i]), "",
               paste0("- Type: ", check$type[i]),
               paste0("- File: `", check$file[i], "`"),
               paste0("- Status: **", toupper(check$status[i]), "**"),
               paste0("- Reason: ", check$reason[i]),
               if (over[i]) paste0("- Released by override: ", check$override[i]), "")
    log <- output_log(x)
    if (!is.null(log) && nrow(log)) {
      lines <- c(lines, "What was done to each column:", "",
                 "| column | action | cells |", "|---|---|---|",
                 paste0("| ", esc(log$column), " | ", esc(log$action), " | ",
                        log$n, " |"), "")
    }
    if (check$type[i] == "plot") {
      lines <- c(lines, paste0("![", check$output[i], "](", check$file[i], ")"), "")
    }
  }
  lines
}

report_html <- function(check, outputs, rule, n_log = 0L) {
  h <- html_escape
  colour <- c(pass = "#1b7a3a", review = "#a86400", fail = "#b3151b")
  badge <- function(st) {
    paste0("<span class=\"badge\" style=\"background:", colour[[st]], "\">",
           toupper(st), "</span>")
  }
  summary_rows <- paste0(
    "<tr><td><a href=\"#out", seq_len(nrow(check)), "\">", h(check$output),
    "</a></td><td>", h(check$type), "</td><td><a href=\"", h(check$file), "\">",
    h(check$file), "</a></td><td>", vapply(check$status, badge, ""),
    ifelse(is.na(check$override), "", " (override)"),
    "</td><td>", h(ifelse(is.na(check$rule), "", check$rule)), "</td><td>",
    h(check$reason), "</td></tr>")
  sections <- character()
  for (i in seq_len(nrow(check))) {
    x <- outputs[[i]]
    body <- c(
      paste0("<h2 id=\"out", i, "\">", h(check$output[i]), " ",
             badge(check$status[i]), "</h2>"),
      paste0("<p><b>Type:</b> ", h(check$type[i]), " &middot; <b>File:</b> <a href=\"",
             h(check$file[i]), "\">", h(check$file[i]), "</a></p>"),
      paste0("<p><b>Reason:</b> ", h(check$reason[i]), "</p>"),
      if (!is.na(check$override[i])) {
        paste0("<p class=\"override\"><b>Released by override:</b> ", h(check$override[i]), "</p>")
      })
    log <- output_log(x)
    if (!is.null(log) && nrow(log)) {
      body <- c(body, "<p><b>What was done to each column</b></p>",
                html_table(as.data.frame(log)))
    }
    if (check$type[i] == "table") {
      df <- as.data.frame(x)
      more <- nrow(df) > 50L
      body <- c(body, "<p><b>Contents</b>",
                if (more) paste0(" (first 50 of ", nrow(df), " rows)"), "</p>",
                html_table(utils::head(df, 50L)))
    } else if (check$type[i] == "plot") {
      body <- c(body, paste0("<img src=\"", h(check$file[i]), "\" alt=\"",
                             h(check$output[i]), "\">"))
    }
    sections <- c(sections, "<section>", body, "</section>")
  }
  c("<!DOCTYPE html>", "<html lang=\"en\">", "<head>", "<meta charset=\"utf-8\">",
    "<title>Output-check report</title>",
    "<style>",
    "body{font-family:system-ui,-apple-system,Segoe UI,Arial,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}",
    "table{border-collapse:collapse;margin:0.5em 0 1.5em;font-size:0.9em}",
    "th,td{border:1px solid #ccc;padding:0.3em 0.6em;text-align:left;vertical-align:top}",
    "th{background:#f0f0f0}",
    ".badge{color:#fff;padding:0.1em 0.5em;border-radius:0.3em;font-size:0.8em;font-weight:bold}",
    "section{border-top:2px solid #ddd;margin-top:1.5em}",
    "img{max-width:100%;border:1px solid #ddd}",
    ".off{background:#b3151b;color:#fff;padding:0.5em;font-weight:bold}",
    ".override{border-left:4px solid #b3151b;padding-left:0.5em}",
    "</style>", "</head>", "<body>",
    "<h1>Output-check report</h1>",
    paste0("<p>Written ", h(format(Sys.time(), "%Y-%m-%d %H:%M %Z")),
           " by matequity ", h(as.character(utils::packageVersion("matequity"))),
           ". Checked against rule <b>", h(rule_name(rule)), "</b> (",
           h(describe_rule(rule)), ").</p>"),
    paste0("<p>", nrow(check), " outputs: ", sum(check$status == "pass"), " pass, ",
           sum(check$status == "review"), " review, ",
           sum(check$status == "fail"), " fail",
           if (any(!is.na(check$override))) paste0(" (", sum(!is.na(check$override)), " released by override)"),
           ". ", h(release_log_note(n_log)), ".</p>"),
    if (any(check$rule %in% "none")) "<p class=\"off\">Some outputs were made with DISCLOSURE CONTROL OFF.</p>",
    "<table>",
    "<tr><th>output</th><th>type</th><th>file</th><th>status</th><th>rule</th><th>reason</th></tr>",
    summary_rows, "</table>",
    sections, "</body>", "</html>")
}

# The sdc log of an output (a table, or a plot's disclosed data).
output_log <- function(x) {
  if (inherits(x, "ggplot")) {
    datas <- Filter(function(d) inherits(d, "mq_sdc"),
                    c(list(x$data), lapply(x$layers, function(l) l$data)))
    if (!length(datas)) return(NULL)
    return(attr(datas[[1]], "sdc_log"))
  }
  attr(x, "sdc_log")
}

html_escape <- function(x) {
  x <- gsub("&", "&amp;", as.character(x), fixed = TRUE)
  x <- gsub("<", "&lt;", x, fixed = TRUE)
  x <- gsub(">", "&gt;", x, fixed = TRUE)
  gsub("\"", "&quot;", x, fixed = TRUE)
}

html_table <- function(df) {
  cells <- lapply(df, function(v) {
    if (is.list(v)) v <- vapply(v, function(e) paste(format(e), collapse = "; "), "")
    out <- if (is.numeric(v)) format(v, digits = 4, trim = TRUE) else as.character(v)
    out[is.na(v)] <- ""
    html_escape(out)
  })
  rows <- if (nrow(df)) {
    do.call(paste0, c(list("<tr>"), lapply(cells, function(v) paste0("<td>", v, "</td>")),
                      list("</tr>")))
  } else {
    character()
  }
  c("<table>", paste0("<tr>", paste0("<th>", html_escape(names(df)), "</th>", collapse = ""), "</tr>"),
    rows, "</table>")
}

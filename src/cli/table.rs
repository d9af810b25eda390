//! systemctl's tables: columns padded to their widest cell, a header and a footer that
//! `--no-legend` drops.

/// Render rows as systemctl does: each column padded to its widest cell, one space between
/// columns, the last column not padded.
pub fn render(header: &[&str], rows: &[Vec<String>], with_header: bool) -> String {
    let columns = header.len();
    let mut widths: Vec<usize> = if with_header {
        header.iter().map(|h| h.chars().count()).collect()
    } else {
        vec![0; columns]
    };
    for row in rows {
        for (i, cell) in row.iter().enumerate().take(columns) {
            widths[i] = widths[i].max(cell.chars().count());
        }
    }
    let mut out = String::new();
    let mut line = |cells: Vec<&str>| {
        let mut s = String::new();
        for (i, cell) in cells.iter().enumerate() {
            if i + 1 == cells.len() {
                s.push_str(cell);
            } else {
                s.push_str(&format!("{:<w$} ", cell, w = widths[i]));
            }
        }
        out.push_str(s.trim_end());
        out.push('\n');
    };
    if with_header {
        line(header.to_vec());
    }
    for row in rows {
        line(row.iter().map(String::as_str).collect());
    }
    out
}

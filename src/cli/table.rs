//! Text for people at a terminal: tables that fit its width, and colour only where it helps
//! and is wanted (stdout is a terminal, `NO_COLOR` is unset, `TERM` is not `dumb`). Piped
//! output has no colour and no width limit unless `COLUMNS` sets one.

use std::io::IsTerminal as _;

/// What stdout is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Terminal {
    /// Columns to fit in; None for no limit.
    pub width: Option<usize>,
    pub color: bool,
}

impl Terminal {
    pub fn stdout() -> Self {
        let tty = std::io::stdout().is_terminal();
        let set = |name: &str| std::env::var_os(name).is_some_and(|v| !v.is_empty());
        let dumb = std::env::var("TERM").is_ok_and(|term| term == "dumb");
        let columns = std::env::var("COLUMNS")
            .ok()
            .and_then(|c| c.trim().parse::<usize>().ok())
            .filter(|w| *w > 0);
        let window = || {
            rustix::termios::tcgetwinsize(std::io::stdout())
                .ok()
                .map(|size| usize::from(size.ws_col))
                .filter(|w| *w > 0)
        };
        Self {
            width: columns.or_else(|| if tty { window() } else { None }),
            color: tty && !set("NO_COLOR") && !dumb,
        }
    }

    /// `text` in `paint`'s colour, when colour is on.
    pub fn paint(self, text: &str, paint: Option<Paint>) -> String {
        match paint {
            Some(paint) if self.color && !text.is_empty() => {
                format!("\x1b[{}m{text}\x1b[0m", paint.code())
            }
            _ => text.to_owned(),
        }
    }
}

/// The few colours tables use, by meaning.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Paint {
    Good,
    Warn,
    Bad,
    Muted,
    Header,
}

impl Paint {
    fn code(self) -> &'static str {
        match self {
            Self::Good => "32",
            Self::Warn => "33",
            Self::Bad => "31",
            Self::Muted => "2",
            Self::Header => "1",
        }
    }
}

/// The narrowest a column is squeezed to before the table gives up fitting.
const MIN_COLUMN: usize = 6;

/// Left-aligned columns, two spaces apart; the last column is not padded. When the terminal
/// is narrower than the table, the widest columns give way first and cut text ends in `…`.
/// `paint(column, cell)` colours a cell.
pub fn table<const N: usize>(
    terminal: Terminal,
    header: &[&str; N],
    rows: &[[String; N]],
    paint: impl Fn(usize, &str) -> Option<Paint>,
) -> String {
    let mut widths = header.map(|h| h.chars().count());
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    if let Some(limit) = terminal.width {
        let gaps = 2 * N.saturating_sub(1);
        while widths.iter().sum::<usize>() + gaps > limit {
            let Some((widest, _)) = widths
                .iter()
                .enumerate()
                .filter(|(_, w)| **w > MIN_COLUMN)
                .max_by_key(|(i, w)| (**w, *i))
            else {
                break;
            };
            widths[widest] -= 1;
        }
    }
    let line = |cells: &[&str], paint: &dyn Fn(usize, &str) -> Option<Paint>| {
        let mut out = String::new();
        for (i, cell) in cells.iter().enumerate() {
            let text = cut(cell, widths[i]);
            out.push_str(&terminal.paint(&text, paint(i, cell)));
            if i + 1 < N {
                let pad = widths[i] - text.chars().count() + 2;
                out.push_str(&" ".repeat(pad));
            }
        }
        out.trim_end().to_owned()
    };
    std::iter::once(line(header, &|_, _| Some(Paint::Header)))
        .chain(rows.iter().map(|row| {
            let cells: Vec<&str> = row.iter().map(String::as_str).collect();
            line(&cells, &paint)
        }))
        .collect::<Vec<_>>()
        .join("\n")
}

/// `text` in at most `width` characters, ending in `…` when cut.
fn cut(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        return text.to_owned();
    }
    let mut cut: String = text.chars().take(width.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows() -> Vec<[String; 3]> {
        vec![[
            "demo".to_owned(),
            "ready".to_owned(),
            "a long description that does not fit".to_owned(),
        ]]
    }

    #[test]
    fn a_narrow_terminal_cuts_the_widest_column() {
        let narrow = Terminal {
            width: Some(30),
            color: false,
        };
        let text = table(narrow, &["NAME", "STATE", "DETAIL"], &rows(), |_, _| None);
        assert_eq!(text, "NAME  STATE  DETAIL\ndemo  ready  a long descripti…");
        assert!(text.lines().all(|l| l.chars().count() <= 30));
    }

    #[test]
    fn colour_wraps_the_text_and_not_the_padding() {
        let colour = Terminal {
            width: None,
            color: true,
        };
        let text = table(
            colour,
            &["NAME", "STATE", "DETAIL"],
            &rows(),
            |column, _| (column == 1).then_some(Paint::Good),
        );
        assert_eq!(
            text.lines().nth(1),
            Some("demo  \x1b[32mready\x1b[0m  a long description that does not fit")
        );
        assert!(text.starts_with("\x1b[1mNAME\x1b[0m  "));
    }
}

//! `calculate`: a small recursive-descent evaluator for arithmetic expressions.
//!
//! Grammar, loosest binding first:
//!
//! ```text
//! sum     = product (("+" | "-") product)*
//! product = unary (("*" | "/" | "%") unary)*
//! unary   = ("-" | "+") unary | power
//! power   = primary ("^" unary)?          right-associative: 2^3^2 = 2^9
//! primary = number | constant | function "(" sum ")" | "(" sum ")"
//! ```
//!
//! Unary minus binds looser than `^`, as in mathematics: `-2^2` is -4. Every error names the
//! column (counted in characters, from 1) where the evaluator gave up.

use rmcp::model::Tool;
use rmcp::schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::registry::{
    DemoTool, input_schema, output_schema, parse_arguments, read_only, structured_result,
};

pub(crate) fn tools() -> Vec<DemoTool> {
    vec![DemoTool::pure(
        Tool::new(
            "calculate",
            "Evaluate an arithmetic expression exactly as written and return the number. \
             Supports + - * / % (remainder) and ^ (power), parentheses, unary minus, decimals, \
             the functions sqrt, abs, round, floor, ceil, ln, log10, sin, cos, tan (radians) and \
             the constants pi and e. Example: \"2 * (3 + 4) ^ 2\" gives 98. Errors name the column \
             of the problem.",
            input_schema::<CalculateArgs>(),
        )
        .with_title("Calculate")
        .with_raw_output_schema(output_schema::<Calculation>())
        .with_annotations(read_only("Calculate")),
        |arguments| {
            let CalculateArgs { expression } = parse_arguments(arguments)?;
            let result = evaluate(&expression)?;
            structured_result(&Calculation { expression, result })
        },
    )]
}

#[derive(Debug, Deserialize, JsonSchema)]
#[schemars(crate = "rmcp::schemars")]
struct CalculateArgs {
    /// The expression, for example "(1 + 2) * sqrt(16) / 3"
    expression: String,
}

#[derive(Debug, Serialize, JsonSchema)]
#[schemars(crate = "rmcp::schemars")]
struct Calculation {
    /// The expression as given
    expression: String,
    /// Its value, rounded to 12 decimal places to hide binary floating-point noise
    result: f64,
}

/// Why an expression could not be evaluated, with the 1-based column it went wrong at.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub(crate) enum CalcError {
    #[error("the expression is empty")]
    Empty,
    #[error("unexpected '{found}' at column {column}")]
    Unexpected { found: char, column: usize },
    #[error("unexpected end of expression: expected {expected}")]
    UnexpectedEnd { expected: &'static str },
    #[error("missing ')' for the '(' at column {column}")]
    Unclosed { column: usize },
    #[error("invalid number '{text}' at column {column}")]
    InvalidNumber { text: String, column: usize },
    #[error(
        "unknown name '{name}' at column {column}: the constants are pi and e, the functions \
         sqrt, abs, round, floor, ceil, ln, log10, sin, cos and tan"
    )]
    UnknownName { name: String, column: usize },
    #[error("'{name}' at column {column} is a function: write {name}(...)")]
    MissingCall { name: String, column: usize },
    #[error("division by zero at column {column}")]
    DivisionByZero { column: usize },
    #[error("{name} of {value} is undefined (column {column})")]
    Domain {
        name: &'static str,
        value: f64,
        column: usize,
    },
    #[error("the result is too large to represent")]
    Overflow,
}

/// Evaluates `expression`, rounding the value to 12 decimal places so 0.1 + 0.2 is 0.3.
pub(crate) fn evaluate(expression: &str) -> Result<f64, CalcError> {
    let mut parser = Parser::new(expression);
    if parser.peek().is_none() {
        return Err(CalcError::Empty);
    }
    let value = parser.sum()?;
    if let Some((column, found)) = parser.peek() {
        return Err(CalcError::Unexpected { found, column });
    }
    if !value.is_finite() {
        return Err(CalcError::Overflow);
    }
    Ok(round_noise(value))
}

fn round_noise(value: f64) -> f64 {
    // Values this large have no fractional digits to clean up, and scaling them would overflow.
    if value.abs() >= 1e15 {
        return value;
    }
    let rounded = (value * 1e12).round() / 1e12;
    // Keep -0 out of results: "-0" reads as a bug.
    if rounded == 0.0 { 0.0 } else { rounded }
}

type MathFunction = fn(f64) -> f64;

const FUNCTIONS: &[(&str, MathFunction)] = &[
    ("sqrt", f64::sqrt),
    ("abs", f64::abs),
    ("round", f64::round),
    ("floor", f64::floor),
    ("ceil", f64::ceil),
    ("ln", f64::ln),
    ("log10", f64::log10),
    ("sin", f64::sin),
    ("cos", f64::cos),
    ("tan", f64::tan),
];

struct Parser {
    /// The expression's characters with their 1-based columns.
    chars: Vec<(usize, char)>,
    position: usize,
}

impl Parser {
    fn new(expression: &str) -> Self {
        let chars = expression
            .chars()
            .enumerate()
            .map(|(index, c)| (index + 1, c))
            .collect();
        Self { chars, position: 0 }
    }

    /// The next character that is not whitespace (whitespace separates tokens, nothing more).
    fn peek(&mut self) -> Option<(usize, char)> {
        while self.peek_raw().is_some_and(|(_, c)| c.is_whitespace()) {
            self.position += 1;
        }
        self.peek_raw()
    }

    /// The next character, whitespace included: inside a number or a name, space ends it.
    fn peek_raw(&self) -> Option<(usize, char)> {
        self.chars.get(self.position).copied()
    }

    fn next_if(&mut self, wanted: char) -> Option<usize> {
        match self.peek() {
            Some((column, c)) if c == wanted => {
                self.position += 1;
                Some(column)
            }
            _ => None,
        }
    }

    fn sum(&mut self) -> Result<f64, CalcError> {
        let mut value = self.product()?;
        loop {
            if self.next_if('+').is_some() {
                value += self.product()?;
            } else if self.next_if('-').is_some() {
                value -= self.product()?;
            } else {
                return Ok(value);
            }
        }
    }

    fn product(&mut self) -> Result<f64, CalcError> {
        let mut value = self.unary()?;
        loop {
            if self.next_if('*').is_some() {
                value *= self.unary()?;
            } else if let Some(column) = self.next_if('/') {
                let divisor = self.unary()?;
                if divisor == 0.0 {
                    return Err(CalcError::DivisionByZero { column });
                }
                value /= divisor;
            } else if let Some(column) = self.next_if('%') {
                let divisor = self.unary()?;
                if divisor == 0.0 {
                    return Err(CalcError::DivisionByZero { column });
                }
                value %= divisor;
            } else {
                return Ok(value);
            }
        }
    }

    fn unary(&mut self) -> Result<f64, CalcError> {
        if self.next_if('-').is_some() {
            Ok(-self.unary()?)
        } else if self.next_if('+').is_some() {
            self.unary()
        } else {
            self.power()
        }
    }

    fn power(&mut self) -> Result<f64, CalcError> {
        let base = self.primary()?;
        if self.next_if('^').is_some() {
            // The exponent is a `unary`, so 2^-1 works and 2^3^2 groups to the right.
            let exponent = self.unary()?;
            Ok(base.powf(exponent))
        } else {
            Ok(base)
        }
    }

    fn primary(&mut self) -> Result<f64, CalcError> {
        match self.peek() {
            None => Err(CalcError::UnexpectedEnd {
                expected: "a number, a name or '('",
            }),
            Some((column, '(')) => {
                self.position += 1;
                let value = self.sum()?;
                self.close_paren(column)?;
                Ok(value)
            }
            Some((_, c)) if c.is_ascii_digit() || c == '.' => self.number(),
            Some((_, c)) if c.is_alphabetic() => self.name(),
            Some((column, found)) => Err(CalcError::Unexpected { found, column }),
        }
    }

    fn close_paren(&mut self, open_column: usize) -> Result<(), CalcError> {
        match self.peek() {
            Some((_, ')')) => {
                self.position += 1;
                Ok(())
            }
            Some((column, found)) => Err(CalcError::Unexpected { found, column }),
            None => Err(CalcError::Unclosed {
                column: open_column,
            }),
        }
    }

    fn number(&mut self) -> Result<f64, CalcError> {
        let (column, _) = self.chars[self.position];
        let mut text = String::new();
        while let Some((_, c)) = self.peek_raw() {
            if c.is_ascii_digit() || c == '.' {
                text.push(c);
                self.position += 1;
            } else {
                break;
            }
        }
        // Scientific notation (1e3, 2.5E-4): only when digits follow, so "2e" stays "2 e".
        if let Some((_, 'e' | 'E')) = self.peek_raw() {
            let exponent_start = self.position;
            let mut exponent = String::from("e");
            self.position += 1;
            if let Some((_, sign @ ('+' | '-'))) = self.peek_raw() {
                exponent.push(sign);
                self.position += 1;
            }
            let digits_start = self.position;
            while let Some((_, c)) = self.peek_raw().filter(|(_, c)| c.is_ascii_digit()) {
                exponent.push(c);
                self.position += 1;
            }
            if self.position == digits_start {
                self.position = exponent_start;
            } else {
                text.push_str(&exponent);
            }
        }
        text.parse()
            .map_err(|_| CalcError::InvalidNumber { text, column })
    }

    fn name(&mut self) -> Result<f64, CalcError> {
        let (column, _) = self.chars[self.position];
        let mut name = String::new();
        while let Some((_, c)) = self.peek_raw() {
            if c.is_alphanumeric() || c == '_' {
                name.push(c.to_ascii_lowercase());
                self.position += 1;
            } else {
                break;
            }
        }
        match name.as_str() {
            "pi" => return Ok(std::f64::consts::PI),
            "e" => return Ok(std::f64::consts::E),
            _ => {}
        }
        let Some(&(name, function)) = FUNCTIONS.iter().find(|(known, _)| *known == name) else {
            return Err(CalcError::UnknownName { name, column });
        };
        let Some(open_column) = self.next_if('(') else {
            return Err(CalcError::MissingCall {
                name: name.to_owned(),
                column,
            });
        };
        let argument = self.sum()?;
        self.close_paren(open_column)?;
        let value = function(argument);
        // NaN from a number means outside the domain (sqrt(-1), ln(-1)); the logarithm of 0
        // is -infinity, which no caller wants as an answer either.
        let undefined = (value.is_nan() && !argument.is_nan())
            || (matches!(name, "ln" | "log10") && argument == 0.0);
        if undefined {
            return Err(CalcError::Domain {
                name,
                value: argument,
                column,
            });
        }
        Ok(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eval(expression: &str) -> f64 {
        evaluate(expression).unwrap_or_else(|e| panic!("{expression}: {e}"))
    }

    fn error(expression: &str) -> String {
        evaluate(expression).unwrap_err().to_string()
    }

    #[test]
    fn precedence_and_associativity() {
        assert_eq!(eval("2 + 3 * 4"), 14.0);
        assert_eq!(eval("(2 + 3) * 4"), 20.0);
        assert_eq!(eval("10 - 4 - 3"), 3.0);
        assert_eq!(eval("2 ^ 3 ^ 2"), 512.0);
        assert_eq!(eval("-2 ^ 2"), -4.0);
        assert_eq!(eval("(-2) ^ 2"), 4.0);
        assert_eq!(eval("2 ^ -1"), 0.5);
        assert_eq!(eval("7 % 3"), 1.0);
        assert_eq!(eval("--3"), 3.0);
        assert_eq!(eval("2 * (3 + 4) ^ 2"), 98.0);
    }

    #[test]
    fn numbers_constants_and_functions() {
        assert_eq!(eval("0.1 + 0.2"), 0.3);
        assert_eq!(eval(".5 * 4"), 2.0);
        assert_eq!(eval("1.5e3"), 1500.0);
        assert_eq!(eval("2E-2"), 0.02);
        assert_eq!(eval("sqrt(16) + abs(-3)"), 7.0);
        assert_eq!(eval("round(2.5) + floor(1.9) + ceil(1.1)"), 6.0);
        assert_eq!(eval("ln(e)"), 1.0);
        assert_eq!(eval("log10(1000)"), 3.0);
        assert_eq!(eval("sin(pi / 2) + cos(0) + tan(0)"), 2.0);
        assert_eq!(eval("SQRT(9)"), 3.0);
        assert_eq!(eval("-0 * 5").to_string(), "0");
    }

    #[test]
    fn errors_name_the_column() {
        assert_eq!(error("(1 + 2))"), "unexpected ')' at column 8");
        assert_eq!(error("1 + 2 )"), "unexpected ')' at column 7");
        assert_eq!(error("1 + * 2"), "unexpected '*' at column 5");
        assert_eq!(error("(1 + 2"), "missing ')' for the '(' at column 1");
        assert_eq!(
            error("1 +"),
            "unexpected end of expression: expected a number, a name or '('"
        );
        assert_eq!(error("   "), "the expression is empty");
        assert_eq!(error("4 / (2 - 2)"), "division by zero at column 3");
        assert_eq!(error("5 % 0"), "division by zero at column 3");
        assert_eq!(error("1.2.3"), "invalid number '1.2.3' at column 1");
        assert!(error("2 * foo").starts_with("unknown name 'foo' at column 5"));
        assert_eq!(
            error("sqrt 4"),
            "'sqrt' at column 1 is a function: write sqrt(...)"
        );
        assert_eq!(error("sqrt(-1)"), "sqrt of -1 is undefined (column 1)");
        assert_eq!(error("ln(0)"), "ln of 0 is undefined (column 1)");
        assert_eq!(error("10 ^ 400"), "the result is too large to represent");
        assert_eq!(error("2 $ 3"), "unexpected '$' at column 3");
        // No implicit multiplication: "2pi" must be written "2 * pi".
        assert_eq!(error("2pi"), "unexpected 'p' at column 2");
        assert_eq!(error("1 2"), "unexpected '2' at column 3");
        assert_eq!(error("1.5 e3"), "unexpected 'e' at column 5");
    }
}

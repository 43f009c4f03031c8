//! The target expression language of routing steps.
//!
//! A step's target says which agents qualify for a contact:
//!
//! ```text
//! skill.returns >= 3 AND skill.spanish >= 2
//! (skill.billing >= 2 OR skill.returns >= 4) AND NOT skill.trainee
//! contact.language == "es" AND skill.spanish >= 3 OR contact.language != "es"
//! contact.channel == "voice" AND contact.priority >= 5
//! true
//! ```
//!
//! Grammar (keywords are case-insensitive; `&&`, `||`, `!` are accepted too):
//!
//! ```text
//! expr       := and ( "OR" and )*
//! and        := unary ( "AND" unary )*
//! unary      := "NOT" unary | "(" expr ")" | "true" | "false" | condition
//! condition  := "skill" "." NAME [ op NUMBER ]           -- level 0..=5, 0 if the agent lacks it
//!             | "contact" "." NAME [ op ( NUMBER | STRING ) ]
//! op         := "==" | "!=" | ">=" | "<=" | ">" | "<"
//! NAME       := letter ( letter | digit | "_" | "-" )*
//! STRING     := '"' … '"' | "'" … "'"   (backslash escapes the quote and itself)
//! ```
//!
//! A bare `skill.x` means `skill.x >= 1`. A bare `contact.x` is true when the attribute
//! is present and not `""`, `"0"` or `"false"`. `contact.channel` and
//! `contact.priority` are the contact's channel and own priority; other names are its
//! attributes (strings; ordered comparisons parse them as integers and are false when
//! they are not numbers). AND binds tighter than OR.
//!
//! Errors carry the byte span and the 1-based column of the offending token; see
//! [`ParseError::render`].
use crate::model::{Channel, Level};
use std::collections::BTreeMap;
use std::fmt;

/// Most distinct `contact.…` conditions one expression may hold.
pub const MAX_CONTACT_CONDITIONS: usize = 64;
const MAX_DEPTH: usize = 64;

/// A comparison operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CmpOp {
    /// `==`
    Eq,
    /// `!=`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
}

impl CmpOp {
    fn test<T: Ord>(self, a: T, b: T) -> bool {
        match self {
            CmpOp::Eq => a == b,
            CmpOp::Ne => a != b,
            CmpOp::Lt => a < b,
            CmpOp::Le => a <= b,
            CmpOp::Gt => a > b,
            CmpOp::Ge => a >= b,
        }
    }
    fn symbol(self) -> &'static str {
        match self {
            CmpOp::Eq => "==",
            CmpOp::Ne => "!=",
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
        }
    }
}

/// What a `contact.…` condition looks at.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ContactField {
    /// `contact.channel`
    Channel,
    /// `contact.priority`
    Priority,
    /// Any other `contact.<name>`: an attribute.
    Attribute(String),
}

/// A literal on the right of a comparison.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Value {
    /// An integer.
    Number(i64),
    /// A quoted string.
    Text(String),
}

/// The test a contact condition applies.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ContactTest {
    /// `contact.x op value`
    Compare(CmpOp, Value),
    /// Bare `contact.x`.
    Truthy,
}

/// A parsed expression tree.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Node {
    /// `true` / `false`.
    Const(bool),
    /// `NOT x`
    Not(Box<Node>),
    /// `a AND b AND …`
    And(Vec<Node>),
    /// `a OR b OR …`
    Or(Vec<Node>),
    /// `skill.name op level`
    Skill {
        /// Skill name.
        name: String,
        /// Operator.
        op: CmpOp,
        /// Level 0–5 (an agent without the skill has level 0).
        level: Level,
    },
    /// `contact.field …`
    Contact {
        /// What is looked at.
        field: ContactField,
        /// How.
        test: ContactTest,
    },
}

/// The contact-side facts an expression can look at.
#[derive(Clone, Copy, Debug)]
pub struct ContactView<'a> {
    /// The contact's channel.
    pub channel: Channel,
    /// The contact's own priority.
    pub priority: u8,
    /// The contact's attributes.
    pub attributes: &'a BTreeMap<String, String>,
}

/// A parsed, valid target expression.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Expr {
    root: Node,
}

impl Expr {
    /// Parses `source`. See the module docs for the grammar.
    pub fn parse(source: &str) -> Result<Expr, ParseError> {
        let tokens = lex(source)?;
        let mut p = Parser {
            src: source,
            tokens,
            pos: 0,
            depth: 0,
        };
        let root = p.expr()?;
        let tok = p.peek();
        if tok.kind != Tok::Eof {
            return Err(p.error_at(
                tok,
                format!(
                    "unexpected {} after a complete condition; join conditions with AND or OR",
                    p.describe(tok)
                ),
            ));
        }
        let expr = Expr { root };
        let mut atoms = Vec::new();
        collect_atoms(&expr.root, &mut atoms);
        if atoms.len() > MAX_CONTACT_CONDITIONS {
            return Err(ParseError {
                message: format!(
                    "too many distinct contact conditions ({}; at most {MAX_CONTACT_CONDITIONS})",
                    atoms.len()
                ),
                span: (0, source.len()),
                column: 1,
            });
        }
        Ok(expr)
    }

    /// The tree.
    pub fn root(&self) -> &Node {
        &self.root
    }

    /// Whether an agent with `skills` qualifies for `contact`. This is the reference
    /// semantics; the engine evaluates a compiled form with the same meaning.
    pub fn matches(&self, skills: &BTreeMap<String, Level>, contact: &ContactView<'_>) -> bool {
        fn go(n: &Node, s: &BTreeMap<String, Level>, c: &ContactView<'_>) -> bool {
            match n {
                Node::Const(b) => *b,
                Node::Not(x) => !go(x, s, c),
                Node::And(xs) => xs.iter().all(|x| go(x, s, c)),
                Node::Or(xs) => xs.iter().any(|x| go(x, s, c)),
                Node::Skill { name, op, level } => {
                    op.test(s.get(name).copied().unwrap_or(0), *level)
                }
                Node::Contact { field, test } => eval_contact(field, test, c),
            }
        }
        go(&self.root, skills, contact)
    }

    /// Whether the expression looks at the contact at all.
    pub fn uses_contact(&self) -> bool {
        let mut atoms = Vec::new();
        collect_atoms(&self.root, &mut atoms);
        !atoms.is_empty()
    }
}

impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.root, f)
    }
}

impl fmt::Display for Node {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fn join(f: &mut fmt::Formatter<'_>, xs: &[Node], sep: &str) -> fmt::Result {
            f.write_str("(")?;
            for (i, x) in xs.iter().enumerate() {
                if i > 0 {
                    f.write_str(sep)?;
                }
                write!(f, "{x}")?;
            }
            f.write_str(")")
        }
        match self {
            Node::Const(b) => write!(f, "{b}"),
            Node::Not(x) => write!(f, "NOT {x}"),
            Node::And(xs) => join(f, xs, " AND "),
            Node::Or(xs) => join(f, xs, " OR "),
            Node::Skill { name, op, level } => write!(f, "skill.{name} {} {level}", op.symbol()),
            Node::Contact { field, test } => {
                match field {
                    ContactField::Channel => f.write_str("contact.channel")?,
                    ContactField::Priority => f.write_str("contact.priority")?,
                    ContactField::Attribute(a) => write!(f, "contact.{a}")?,
                }
                match test {
                    ContactTest::Truthy => Ok(()),
                    ContactTest::Compare(op, Value::Number(n)) => write!(f, " {} {n}", op.symbol()),
                    ContactTest::Compare(op, Value::Text(s)) => write!(f, " {} {s:?}", op.symbol()),
                }
            }
        }
    }
}

fn eval_contact(field: &ContactField, test: &ContactTest, c: &ContactView<'_>) -> bool {
    match field {
        ContactField::Channel => match test {
            ContactTest::Truthy => true,
            ContactTest::Compare(op, Value::Text(t)) => op.test(c.channel.name(), t.as_str()),
            ContactTest::Compare(..) => false,
        },
        ContactField::Priority => match test {
            ContactTest::Truthy => c.priority > 0,
            ContactTest::Compare(op, Value::Number(n)) => op.test(i64::from(c.priority), *n),
            ContactTest::Compare(..) => false,
        },
        ContactField::Attribute(name) => {
            let v = c.attributes.get(name);
            match test {
                ContactTest::Truthy => {
                    matches!(v, Some(v) if !v.is_empty() && v != "0" && !v.eq_ignore_ascii_case("false"))
                }
                ContactTest::Compare(op, Value::Text(t)) => match v {
                    Some(v) => op.test(v.as_str(), t.as_str()),
                    // A missing attribute equals nothing and differs from everything.
                    None => *op == CmpOp::Ne,
                },
                ContactTest::Compare(op, Value::Number(n)) => {
                    match v.and_then(|v| v.trim().parse::<i64>().ok()) {
                        Some(x) => op.test(x, *n),
                        None => *op == CmpOp::Ne,
                    }
                }
            }
        }
    }
}

fn collect_atoms<'a>(n: &'a Node, out: &mut Vec<(&'a ContactField, &'a ContactTest)>) {
    match n {
        Node::Const(_) | Node::Skill { .. } => {}
        Node::Not(x) => collect_atoms(x, out),
        Node::And(xs) | Node::Or(xs) => xs.iter().for_each(|x| collect_atoms(x, out)),
        Node::Contact { field, test } => {
            if !out.iter().any(|(f, t)| *f == field && *t == test) {
                out.push((field, test));
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// Errors

/// A parse error with its position.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("column {column}: {message}")]
pub struct ParseError {
    /// What is wrong, in words.
    pub message: String,
    /// Byte range of the offending token in the source.
    pub span: (usize, usize),
    /// 1-based column (in characters) where the offending token starts.
    pub column: usize,
}

impl ParseError {
    /// The source line, a caret line under the offending token, and the message:
    ///
    /// ```text
    /// skill.returns >= 3 AND
    ///                       ^ expected a condition …
    /// ```
    pub fn render(&self, source: &str) -> String {
        let width = source
            .get(self.span.0..self.span.1)
            .map(|s| s.chars().count())
            .unwrap_or(1)
            .max(1);
        format!(
            "{source}\n{}{} {}",
            " ".repeat(self.column.saturating_sub(1)),
            "^".repeat(width),
            self.message
        )
    }
}

// ---------------------------------------------------------------------------------------
// Lexer

#[derive(Clone, Debug, PartialEq)]
enum Tok {
    Ident,
    Dot,
    LParen,
    RParen,
    Op(CmpOp),
    And,
    Or,
    Not,
    True,
    False,
    Number(i64),
    Str(String),
    Eof,
}

#[derive(Clone, Debug)]
struct Token {
    kind: Tok,
    start: usize,
    end: usize,
}

fn column(src: &str, byte: usize) -> usize {
    src.get(..byte).map(|s| s.chars().count()).unwrap_or(0) + 1
}

fn lex(src: &str) -> Result<Vec<Token>, ParseError> {
    let err = |start: usize, end: usize, message: String| ParseError {
        message,
        span: (start, end),
        column: column(src, start),
    };
    let bytes = src.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        let start = i;
        let two = |s: &str| src[i..].starts_with(s);
        let kind = match c {
            b' ' | b'\t' | b'\n' | b'\r' => {
                i += 1;
                continue;
            }
            b'(' => {
                i += 1;
                Tok::LParen
            }
            b')' => {
                i += 1;
                Tok::RParen
            }
            b'.' => {
                i += 1;
                Tok::Dot
            }
            _ if two("==") => {
                i += 2;
                Tok::Op(CmpOp::Eq)
            }
            _ if two("!=") => {
                i += 2;
                Tok::Op(CmpOp::Ne)
            }
            _ if two(">=") => {
                i += 2;
                Tok::Op(CmpOp::Ge)
            }
            _ if two("<=") => {
                i += 2;
                Tok::Op(CmpOp::Le)
            }
            _ if two("&&") => {
                i += 2;
                Tok::And
            }
            _ if two("||") => {
                i += 2;
                Tok::Or
            }
            b'>' => {
                i += 1;
                Tok::Op(CmpOp::Gt)
            }
            b'<' => {
                i += 1;
                Tok::Op(CmpOp::Lt)
            }
            b'!' => {
                i += 1;
                Tok::Not
            }
            b'=' => {
                return Err(err(
                    i,
                    i + 1,
                    "`=` is not an operator; compare with `==`".to_string(),
                ));
            }
            b'"' | b'\'' => {
                let quote = c;
                i += 1;
                let mut s = String::new();
                loop {
                    let Some(ch) = src[i..].chars().next() else {
                        return Err(err(start, start + 1, "unterminated string".to_string()));
                    };
                    i += ch.len_utf8();
                    if ch as u32 == u32::from(quote) {
                        break;
                    }
                    if ch == '\\' {
                        match src[i..].chars().next() {
                            Some(e) if e == '\\' || e as u32 == u32::from(quote) => {
                                s.push(e);
                                i += 1;
                            }
                            _ => s.push('\\'),
                        }
                    } else {
                        s.push(ch);
                    }
                }
                Tok::Str(s)
            }
            b'-' | b'0'..=b'9' => {
                i += 1;
                while i < bytes.len() && bytes[i].is_ascii_digit() {
                    i += 1;
                }
                let text = &src[start..i];
                if text == "-" {
                    return Err(err(start, i, "expected a number after `-`".to_string()));
                }
                match text.parse::<i64>() {
                    Ok(n) => Tok::Number(n),
                    Err(_) => return Err(err(start, i, format!("number `{text}` is too large"))),
                }
            }
            _ if c.is_ascii_alphabetic() || c == b'_' => {
                while i < bytes.len()
                    && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_' || bytes[i] == b'-')
                {
                    i += 1;
                }
                let word = &src[start..i];
                match word.to_ascii_lowercase().as_str() {
                    "and" => Tok::And,
                    "or" => Tok::Or,
                    "not" => Tok::Not,
                    "true" => Tok::True,
                    "false" => Tok::False,
                    _ => Tok::Ident,
                }
            }
            _ => {
                let ch = src[i..].chars().next().unwrap_or('?');
                return Err(err(
                    i,
                    i + ch.len_utf8(),
                    format!("unexpected character `{ch}`"),
                ));
            }
        };
        out.push(Token {
            kind,
            start,
            end: i,
        });
    }
    out.push(Token {
        kind: Tok::Eof,
        start: src.len(),
        end: src.len(),
    });
    Ok(out)
}

// ---------------------------------------------------------------------------------------
// Parser

struct Parser<'a> {
    src: &'a str,
    tokens: Vec<Token>,
    pos: usize,
    depth: usize,
}

const CONDITION_HINT: &str =
    "a condition such as `skill.returns >= 3` or `contact.language == \"es\"`";

impl Parser<'_> {
    fn peek(&self) -> &Token {
        &self.tokens[self.pos]
    }
    fn bump(&mut self) -> Token {
        let t = self.tokens[self.pos].clone();
        if t.kind != Tok::Eof {
            self.pos += 1;
        }
        t
    }
    fn text(&self, t: &Token) -> &str {
        &self.src[t.start..t.end]
    }
    fn describe(&self, t: &Token) -> String {
        match t.kind {
            Tok::Eof => "end of expression".to_string(),
            _ => format!("`{}`", self.text(t)),
        }
    }
    fn error_at(&self, t: &Token, message: String) -> ParseError {
        // At the end, point one past the last character so the caret is visible.
        let (start, end) = if t.kind == Tok::Eof {
            (t.start, t.start)
        } else {
            (t.start, t.end)
        };
        ParseError {
            message,
            span: (start, end),
            column: column(self.src, start),
        }
    }

    fn expr(&mut self) -> Result<Node, ParseError> {
        let mut xs = vec![self.and()?];
        while self.peek().kind == Tok::Or {
            self.bump();
            xs.push(self.and()?);
        }
        Ok(if xs.len() == 1 {
            xs.remove(0)
        } else {
            Node::Or(xs)
        })
    }

    fn and(&mut self) -> Result<Node, ParseError> {
        let mut xs = vec![self.unary()?];
        while self.peek().kind == Tok::And {
            self.bump();
            xs.push(self.unary()?);
        }
        Ok(if xs.len() == 1 {
            xs.remove(0)
        } else {
            Node::And(xs)
        })
    }

    fn unary(&mut self) -> Result<Node, ParseError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            let t = self.peek().clone();
            return Err(self.error_at(&t, format!("nested deeper than {MAX_DEPTH} levels")));
        }
        let t = self.bump();
        let node = match t.kind {
            Tok::Not => Node::Not(Box::new(self.unary()?)),
            Tok::True => Node::Const(true),
            Tok::False => Node::Const(false),
            Tok::LParen => {
                let inner = self.expr()?;
                let close = self.peek().clone();
                if close.kind != Tok::RParen {
                    return Err(self.error_at(
                        &close,
                        format!(
                            "expected `)` to close the `(` at column {}, found {}",
                            column(self.src, t.start),
                            self.describe(&close)
                        ),
                    ));
                }
                self.bump();
                inner
            }
            Tok::Ident => self.condition(&t)?,
            _ => {
                return Err(self.error_at(
                    &t,
                    format!("expected {CONDITION_HINT}, found {}", self.describe(&t)),
                ));
            }
        };
        self.depth -= 1;
        Ok(node)
    }

    fn condition(&mut self, head: &Token) -> Result<Node, ParseError> {
        let ns = self.text(head).to_string();
        let is_skill = ns.eq_ignore_ascii_case("skill") || ns.eq_ignore_ascii_case("skills");
        let is_contact = ns.eq_ignore_ascii_case("contact");
        if !is_skill && !is_contact {
            return Err(self.error_at(
                head,
                format!("unknown name `{ns}`: expected `skill.<name>` or `contact.<attribute>`"),
            ));
        }
        let dot = self.peek().clone();
        if dot.kind != Tok::Dot {
            return Err(self.error_at(
                &dot,
                format!("expected `.` after `{ns}`, found {}", self.describe(&dot)),
            ));
        }
        self.bump();
        let name_tok = self.peek().clone();
        // Keywords are fine as names after a dot (`skill.not-sure`, `contact.or`).
        if !matches!(
            name_tok.kind,
            Tok::Ident | Tok::And | Tok::Or | Tok::Not | Tok::True | Tok::False
        ) {
            return Err(self.error_at(
                &name_tok,
                format!(
                    "expected a {} name after `{ns}.`, found {}",
                    if is_skill { "skill" } else { "attribute" },
                    self.describe(&name_tok)
                ),
            ));
        }
        self.bump();
        let name = self.text(&name_tok).to_string();
        let op = match self.peek().kind {
            Tok::Op(op) => {
                self.bump();
                Some(op)
            }
            _ => None,
        };
        let value = match op {
            None => None,
            Some(op) => {
                let v = self.bump();
                match v.kind {
                    Tok::Number(n) => Some((op, Value::Number(n), v)),
                    Tok::Str(ref s) => Some((op, Value::Text(s.clone()), v)),
                    _ => {
                        return Err(self.error_at(
                            &v,
                            format!(
                                "expected a number or a quoted string after `{}`, found {}",
                                op.symbol(),
                                self.describe(&v)
                            ),
                        ));
                    }
                }
            }
        };
        if is_skill {
            let (op, level) = match value {
                None => (CmpOp::Ge, 1),
                Some((op, Value::Number(n), tok)) => {
                    if !(0..=5).contains(&n) {
                        return Err(self.error_at(
                            &tok,
                            format!("skill levels run from 1 to 5 (0: lacks the skill), found {n}"),
                        ));
                    }
                    (op, n as Level)
                }
                Some((_, Value::Text(_), tok)) => {
                    return Err(self.error_at(
                        &tok,
                        "a skill level is a number from 0 to 5, not a string".to_string(),
                    ));
                }
            };
            return Ok(Node::Skill { name, op, level });
        }
        let field = match name.as_str() {
            "channel" => ContactField::Channel,
            "priority" => ContactField::Priority,
            _ => ContactField::Attribute(name),
        };
        let test = match value {
            None => ContactTest::Truthy,
            Some((op, value, tok)) => {
                match (&field, &value) {
                    (ContactField::Channel, Value::Text(t)) => {
                        if Channel::from_name(t).is_none() {
                            return Err(self.error_at(
                                &tok,
                                format!(
                                    "unknown channel {t:?}: expected \"voice\", \"chat\", \"messaging\", \"email\" or \"task\""
                                ),
                            ));
                        }
                        if !matches!(op, CmpOp::Eq | CmpOp::Ne) {
                            return Err(self.error_at(
                                &tok,
                                "channels compare only with `==` or `!=`".to_string(),
                            ));
                        }
                    }
                    (ContactField::Channel, Value::Number(_)) => {
                        return Err(self.error_at(
                            &tok,
                            "a channel is a quoted name such as \"chat\"".to_string(),
                        ));
                    }
                    (ContactField::Priority, Value::Text(_)) => {
                        return Err(
                            self.error_at(&tok, "a priority is a number, not a string".to_string())
                        );
                    }
                    (ContactField::Attribute(_), Value::Text(_))
                        if !matches!(op, CmpOp::Eq | CmpOp::Ne) =>
                    {
                        return Err(self.error_at(
                            &tok,
                            format!(
                                "`{}` compares numbers; compare strings with `==` or `!=`",
                                op.symbol()
                            ),
                        ));
                    }
                    _ => {}
                }
                ContactTest::Compare(op, value)
            }
        };
        Ok(Node::Contact { field, test })
    }
}

// ---------------------------------------------------------------------------------------
// Compiled form used by the engine.
//
// Skills are interned to dense ids; `contact.…` conditions become numbered atoms. For a
// given contact the atoms evaluate to a bit mask, and substituting the mask leaves an
// agent-only "residual" expression. Contacts whose residuals are equal share one agent
// group (see `engine`), so the agent-side work is done once per distinct residual, not
// once per contact.

#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum AgentExpr {
    Const(bool),
    Not(Box<AgentExpr>),
    And(Vec<AgentExpr>),
    Or(Vec<AgentExpr>),
    Skill {
        skill: u32,
        op: CmpOpKey,
        level: Level,
    },
}

/// `CmpOp` with an order, so agent expressions can be sorted into a canonical form.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct CmpOpKey(u8);

impl CmpOpKey {
    fn new(op: CmpOp) -> Self {
        CmpOpKey(op as u8)
    }
    fn op(self) -> CmpOp {
        [
            CmpOp::Eq,
            CmpOp::Ne,
            CmpOp::Lt,
            CmpOp::Le,
            CmpOp::Gt,
            CmpOp::Ge,
        ][self.0 as usize]
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum CNode {
    Const(bool),
    Not(Box<CNode>),
    And(Vec<CNode>),
    Or(Vec<CNode>),
    Skill { skill: u32, op: CmpOp, level: Level },
    Atom(u8),
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Atom {
    field: ContactField,
    test: ContactTest,
}

/// A step target compiled against the engine's skill interner.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Compiled {
    root: CNode,
    atoms: Vec<Atom>,
}

impl Compiled {
    pub(crate) fn new(expr: &Expr, intern: &mut dyn FnMut(&str) -> u32) -> Compiled {
        fn go(n: &Node, intern: &mut dyn FnMut(&str) -> u32, atoms: &mut Vec<Atom>) -> CNode {
            match n {
                Node::Const(b) => CNode::Const(*b),
                Node::Not(x) => CNode::Not(Box::new(go(x, intern, atoms))),
                Node::And(xs) => CNode::And(xs.iter().map(|x| go(x, intern, atoms)).collect()),
                Node::Or(xs) => CNode::Or(xs.iter().map(|x| go(x, intern, atoms)).collect()),
                Node::Skill { name, op, level } => CNode::Skill {
                    skill: intern(name),
                    op: *op,
                    level: *level,
                },
                Node::Contact { field, test } => {
                    let atom = Atom {
                        field: field.clone(),
                        test: test.clone(),
                    };
                    let i = match atoms.iter().position(|a| *a == atom) {
                        Some(i) => i,
                        None => {
                            atoms.push(atom);
                            atoms.len() - 1
                        }
                    };
                    CNode::Atom(i as u8)
                }
            }
        }
        let mut atoms = Vec::new();
        let root = go(&expr.root, intern, &mut atoms);
        Compiled { root, atoms }
    }

    /// Whether the target depends on the contact.
    pub(crate) fn uses_contact(&self) -> bool {
        !self.atoms.is_empty()
    }

    /// Bit i set when atom i holds for this contact.
    pub(crate) fn contact_mask(&self, c: &ContactView<'_>) -> u64 {
        let mut mask = 0u64;
        for (i, a) in self.atoms.iter().enumerate() {
            if eval_contact(&a.field, &a.test, c) {
                mask |= 1 << i;
            }
        }
        mask
    }

    /// The agent-only expression left once the contact atoms are known, simplified and
    /// put in a canonical order so equal meanings usually compare equal.
    pub(crate) fn residual(&self, mask: u64) -> AgentExpr {
        fn go(n: &CNode, mask: u64) -> AgentExpr {
            match n {
                CNode::Const(b) => AgentExpr::Const(*b),
                CNode::Atom(i) => AgentExpr::Const(mask & (1 << i) != 0),
                CNode::Skill { skill, op, level } => AgentExpr::Skill {
                    skill: *skill,
                    op: CmpOpKey::new(*op),
                    level: *level,
                },
                CNode::Not(x) => match go(x, mask) {
                    AgentExpr::Const(b) => AgentExpr::Const(!b),
                    AgentExpr::Not(inner) => *inner,
                    other => AgentExpr::Not(Box::new(other)),
                },
                CNode::And(xs) => {
                    let mut out = Vec::new();
                    for x in xs {
                        match go(x, mask) {
                            AgentExpr::Const(true) => {}
                            AgentExpr::Const(false) => return AgentExpr::Const(false),
                            AgentExpr::And(inner) => out.extend(inner),
                            other => out.push(other),
                        }
                    }
                    out.sort();
                    out.dedup();
                    match out.len() {
                        0 => AgentExpr::Const(true),
                        1 => out.remove(0),
                        _ => AgentExpr::And(out),
                    }
                }
                CNode::Or(xs) => {
                    let mut out = Vec::new();
                    for x in xs {
                        match go(x, mask) {
                            AgentExpr::Const(false) => {}
                            AgentExpr::Const(true) => return AgentExpr::Const(true),
                            AgentExpr::Or(inner) => out.extend(inner),
                            other => out.push(other),
                        }
                    }
                    out.sort();
                    out.dedup();
                    match out.len() {
                        0 => AgentExpr::Const(false),
                        1 => out.remove(0),
                        _ => AgentExpr::Or(out),
                    }
                }
            }
        }
        go(&self.root, mask)
    }
}

impl AgentExpr {
    /// `skills` sorted by skill id.
    pub(crate) fn eval(&self, skills: &[(u32, Level)]) -> bool {
        match self {
            AgentExpr::Const(b) => *b,
            AgentExpr::Not(x) => !x.eval(skills),
            AgentExpr::And(xs) => xs.iter().all(|x| x.eval(skills)),
            AgentExpr::Or(xs) => xs.iter().any(|x| x.eval(skills)),
            AgentExpr::Skill { skill, op, level } => {
                let have = match skills.binary_search_by_key(skill, |s| s.0) {
                    Ok(i) => skills[i].1,
                    Err(_) => 0,
                };
                op.op().test(have, *level)
            }
        }
    }

    /// Every distinct skill named, NOT or not.
    pub(crate) fn all_skills(&self, out: &mut Vec<u32>) {
        match self {
            AgentExpr::Const(_) => {}
            AgentExpr::Not(x) => x.all_skills(out),
            AgentExpr::And(xs) | AgentExpr::Or(xs) => xs.iter().for_each(|x| x.all_skills(out)),
            AgentExpr::Skill { skill, .. } => {
                if !out.contains(skill) {
                    out.push(*skill);
                }
            }
        }
    }

    /// Distinct skills named outside a NOT: the ones "most skilled" sums.
    pub(crate) fn positive_skills(&self, out: &mut Vec<u32>) {
        match self {
            AgentExpr::Const(_) | AgentExpr::Not(_) => {}
            AgentExpr::And(xs) | AgentExpr::Or(xs) => {
                xs.iter().for_each(|x| x.positive_skills(out))
            }
            AgentExpr::Skill { skill, .. } => {
                if !out.contains(skill) {
                    out.push(*skill);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(src: &str) -> Expr {
        Expr::parse(src).unwrap_or_else(|e| panic!("{src}: {}", e.render(src)))
    }

    #[track_caller]
    fn bad(src: &str, column: usize, needle: &str) {
        match Expr::parse(src) {
            Ok(e) => panic!("{src:?} parsed as {e}"),
            Err(e) => {
                assert_eq!(e.column, column, "{}", e.render(src));
                assert!(
                    e.message.contains(needle),
                    "message {:?} lacks {needle:?}",
                    e.message
                );
            }
        }
    }

    fn skills(pairs: &[(&str, u8)]) -> BTreeMap<String, Level> {
        pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect()
    }

    fn contact(attrs: &[(&str, &str)]) -> BTreeMap<String, String> {
        attrs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn parses_and_prints() {
        let cases = [
            ("skill.returns >= 3", "skill.returns >= 3"),
            (
                "skill.returns >= 3 AND skill.spanish >= 2",
                "(skill.returns >= 3 AND skill.spanish >= 2)",
            ),
            (
                "skill.a OR skill.b and skill.c",
                "(skill.a >= 1 OR (skill.b >= 1 AND skill.c >= 1))",
            ),
            (
                "NOT (skill.a || skill.b)",
                "NOT (skill.a >= 1 OR skill.b >= 1)",
            ),
            (
                "!skill.trainee && true",
                "(NOT skill.trainee >= 1 AND true)",
            ),
            ("contact.language == \"es\"", "contact.language == \"es\""),
            ("contact.language != 'es'", "contact.language != \"es\""),
            ("contact.vip", "contact.vip"),
            ("contact.priority >= 5", "contact.priority >= 5"),
            (
                "contact.channel == \"voice\"",
                "contact.channel == \"voice\"",
            ),
            ("skill.after-sales > 2", "skill.after-sales > 2"),
            ("contact.tier >= -1", "contact.tier >= -1"),
            ("  ( ( skill.x ) )  ", "skill.x >= 1"),
            ("skill.not", "skill.not >= 1"),
        ];
        for (src, printed) in cases {
            assert_eq!(ok(src).to_string(), printed, "{src}");
        }
    }

    #[test]
    fn rejects_with_positions() {
        bad("", 1, "expected a condition");
        bad("skill.returns >= 3 AND", 23, "found end of expression");
        bad("skill.returns >= 3 AND )", 24, "found `)`");
        bad(
            "(skill.a >= 1",
            14,
            "expected `)` to close the `(` at column 1",
        );
        bad("skill.returns >= 7", 18, "skill levels run from 1 to 5");
        bad("skill.returns >= \"x\"", 18, "not a string");
        bad("skill.returns = 3", 15, "compare with `==`");
        bad("agent.returns >= 3", 1, "unknown name `agent`");
        bad("skill returns", 7, "expected `.` after `skill`");
        bad("skill.>= 3", 7, "expected a skill name");
        bad("skill.a >= ", 12, "expected a number or a quoted string");
        bad("skill.a skill.b", 9, "join conditions with AND or OR");
        bad("contact.language == \"es", 21, "unterminated string");
        bad("contact.channel == \"fax\"", 20, "unknown channel");
        bad("contact.channel > \"chat\"", 19, "only with `==` or `!=`");
        bad("contact.name < \"m\"", 16, "compares numbers");
        bad("contact.priority == \"high\"", 21, "priority is a number");
        bad("skill.a >= 3 $", 14, "unexpected character `$`");
        bad("skill.a >= 99999999999999999999", 12, "too large");
        bad("é skill.a", 1, "unexpected character `é`");
        bad("skill.a AND é", 13, "unexpected character");
    }

    #[test]
    fn error_render_points_at_token() {
        let src = "skill.returns >= 3 AND skill.spanish >= 9";
        let e = Expr::parse(src).unwrap_err();
        assert_eq!(
            e.render(src),
            "skill.returns >= 3 AND skill.spanish >= 9\n                                        ^ skill levels run from 1 to 5 (0: lacks the skill), found 9"
        );
        assert_eq!(e.to_string(), format!("column 41: {}", e.message));
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let src = format!("{}skill.a{}", "(".repeat(500), ")".repeat(500));
        bad(&src, 65, "nested deeper");
        let src = format!("{}skill.a", "NOT ".repeat(500));
        assert!(Expr::parse(&src).is_err());
    }

    #[test]
    fn semantics() {
        let none = BTreeMap::new();
        let es = contact(&[("language", "es"), ("tier", "3"), ("vip", "yes")]);
        fn view(a: &BTreeMap<String, String>) -> ContactView<'_> {
            ContactView {
                channel: Channel::Chat,
                priority: 4,
                attributes: a,
            }
        }
        let agent = skills(&[("returns", 3), ("spanish", 2)]);
        let m = |src: &str, a: &BTreeMap<String, String>| ok(src).matches(&agent, &view(a));
        assert!(m("skill.returns >= 3 AND skill.spanish >= 2", &none));
        assert!(!m("skill.returns >= 4", &none));
        assert!(m("skill.billing == 0", &none));
        assert!(!m("skill.billing", &none));
        assert!(m("contact.language == \"es\" AND skill.spanish >= 2", &es));
        assert!(!m("contact.language == \"es\"", &none));
        assert!(m("contact.language != \"es\"", &none));
        assert!(m("contact.tier >= 3 AND contact.tier < 4", &es));
        assert!(!m("contact.language >= 3", &es));
        assert!(m("contact.vip AND NOT contact.missing", &es));
        assert!(m(
            "contact.channel == \"chat\" AND contact.priority > 3",
            &none
        ));
        assert!(m("NOT skill.x OR false", &none));
    }

    #[test]
    fn residual_folds_contact_conditions() {
        let mut names: Vec<String> = Vec::new();
        let mut intern = |s: &str| match names.iter().position(|n| n == s) {
            Some(i) => i as u32,
            None => {
                names.push(s.to_string());
                (names.len() - 1) as u32
            }
        };
        let e = ok("skill.returns >= 2 AND (contact.language != \"es\" OR skill.spanish >= 2)");
        let c = Compiled::new(&e, &mut intern);
        assert!(c.uses_contact());
        let es = contact(&[("language", "es")]);
        let en = contact(&[("language", "en")]);
        let v = |a| ContactView {
            channel: Channel::Chat,
            priority: 0,
            attributes: a,
        };
        let r_es = c.residual(c.contact_mask(&v(&es)));
        let r_en = c.residual(c.contact_mask(&v(&en)));
        assert_ne!(r_es, r_en);
        assert_eq!(
            r_en,
            AgentExpr::Skill {
                skill: 0,
                op: CmpOpKey::new(CmpOp::Ge),
                level: 2
            }
        );
        assert!(r_es.eval(&[(0, 3), (1, 2)]));
        assert!(!r_es.eval(&[(0, 3)]));
        // Same meaning, different order: same residual.
        let e2 = ok("(skill.spanish >= 2 OR contact.language != \"es\") AND skill.returns >= 2");
        let c2 = Compiled::new(&e2, &mut intern);
        assert_eq!(c2.residual(c2.contact_mask(&v(&es))), r_es);
    }
}

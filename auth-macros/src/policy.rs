//! The arguments of `#[requires_policy(...)]`: a boolean expression of roles, scopes, calling
//! services and comparisons of claims with constants, parsed into a small tree. Checking the
//! names (roles against the vocabulary) is the validation's job (`valid`).
//!
//! ```text
//! #[requires_policy(role("admin") or (scope("refunds:write") and caller("billing")))]
//! #[requires_policy(claim("tenant") == "acme" and not role("guest"))]
//! #[requires_policy(claim("email_verified") == true, crate = my::auth)]
//! ```
//!
//! `and` and `or` do not mix without parentheses: `a or b and c` is an error that asks for
//! `a or (b and c)`, so that nobody has to remember which binds tighter.

use proc_macro2::Span;
use syn::ext::IdentExt;
use syn::parse::{Parse, ParseStream};
use syn::spanned::Spanned;
use syn::{Ident, LitBool, LitInt, LitStr, Path, Token};

mod kw {
    syn::custom_keyword!(role);
    syn::custom_keyword!(scope);
    syn::custom_keyword!(caller);
    syn::custom_keyword!(claim);
    syn::custom_keyword!(and);
    syn::custom_keyword!(or);
    syn::custom_keyword!(not);
}

/// One policy expression, as written.
pub(crate) enum Policy {
    Role(LitStr),
    Scope(LitStr),
    Caller(LitStr),
    /// `claim("name") == value` (or `!=`, `negated`).
    Claim {
        name: LitStr,
        negated: bool,
        value: ClaimLiteral,
    },
    Not(Box<Policy>),
    And(Vec<Policy>),
    Or(Vec<Policy>),
}

impl Policy {
    /// The span of the first role named, if any (where an unreadable vocabulary is reported).
    pub(crate) fn first_role(&self) -> Option<Span> {
        match self {
            Policy::Role(lit) => Some(lit.span()),
            Policy::Scope(_) | Policy::Caller(_) | Policy::Claim { .. } => None,
            Policy::Not(inner) => inner.first_role(),
            Policy::And(terms) | Policy::Or(terms) => terms.iter().find_map(Policy::first_role),
        }
    }
}

/// The constant a claim is compared with.
pub(crate) enum ClaimLiteral {
    Str(LitStr),
    /// The integer's text with its sign, and its span.
    Int(String, Span),
    Bool(LitBool),
}

/// The arguments of `#[requires_policy(...)]`.
pub(crate) struct PolicyArgs {
    pub(crate) policy: Policy,
    pub(crate) krate: Option<Path>,
}

const EXPECTED_TERM: &str = "expected `role(\"..\")`, `scope(\"..\")`, `caller(\"..\")`, `claim(\"..\") == value`, `not ..` or `( .. )`";

impl Parse for PolicyArgs {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        if input.is_empty() {
            return Err(
                input.error("expected a policy, like `role(\"admin\") or scope(\"orders:read\")`")
            );
        }
        let policy = expression(input)?;
        let mut krate = None;
        if input.peek(Token![,]) {
            input.parse::<Token![,]>()?;
            if !input.is_empty() {
                if !input.peek(Token![crate]) {
                    return Err(
                        input.error("after the policy, the only argument is `crate = path`")
                    );
                }
                input.parse::<Token![crate]>()?;
                input.parse::<Token![=]>()?;
                krate = Some(Path::parse_mod_style(input)?);
                input.parse::<Option<Token![,]>>()?;
            }
        }
        if input.peek(Token![&&]) || input.peek(Token![||]) {
            return Err(input.error("write `and` and `or` as words"));
        }
        if !input.is_empty() {
            return Err(input.error("expected `and`, `or` or the end of the policy"));
        }
        Ok(PolicyArgs { policy, krate })
    }
}

/// Terms joined by `and`, or by `or`, never both.
fn expression(input: ParseStream<'_>) -> syn::Result<Policy> {
    let first = unary(input)?;
    let joined_by_and = if input.peek(kw::and) {
        true
    } else if input.peek(kw::or) {
        false
    } else {
        return Ok(first);
    };
    let mut terms = vec![first];
    while input.peek(kw::and) || input.peek(kw::or) {
        if input.peek(kw::and) != joined_by_and {
            let (this, other) = if joined_by_and {
                ("or", "and")
            } else {
                ("and", "or")
            };
            return Err(input.error(format!(
                "`{this}` after `{other}` needs parentheses: write `a {other} (b {this} c)` or `(a {other} b) {this} c`"
            )));
        }
        let (word, at) = if joined_by_and {
            ("and", input.parse::<kw::and>()?.span)
        } else {
            ("or", input.parse::<kw::or>()?.span)
        };
        if input.is_empty() {
            return Err(syn::Error::new(
                at,
                format!("`{word}` needs a policy after it"),
            ));
        }
        terms.push(unary(input)?);
    }
    Ok(if joined_by_and {
        Policy::And(terms)
    } else {
        Policy::Or(terms)
    })
}

/// `not` term, a parenthesized expression, or a term.
fn unary(input: ParseStream<'_>) -> syn::Result<Policy> {
    if input.peek(kw::not) {
        input.parse::<kw::not>()?;
        return Ok(Policy::Not(Box::new(unary(input)?)));
    }
    if input.peek(syn::token::Paren) {
        let content;
        let parens = syn::parenthesized!(content in input);
        if content.is_empty() {
            return Err(syn::Error::new(
                parens.span.join(),
                "empty parentheses: expected a policy inside",
            ));
        }
        let inner = expression(&content)?;
        if !content.is_empty() {
            return Err(content.error("expected `and`, `or` or `)`"));
        }
        return Ok(inner);
    }
    term(input)
}

fn term(input: ParseStream<'_>) -> syn::Result<Policy> {
    if input.peek(kw::role) {
        input.parse::<kw::role>()?;
        return Ok(Policy::Role(name_argument(input, "role")?));
    }
    if input.peek(kw::scope) {
        input.parse::<kw::scope>()?;
        return Ok(Policy::Scope(name_argument(input, "scope")?));
    }
    if input.peek(kw::caller) {
        input.parse::<kw::caller>()?;
        return Ok(Policy::Caller(name_argument(input, "caller")?));
    }
    if input.peek(kw::claim) {
        input.parse::<kw::claim>()?;
        let name = name_argument(input, "claim")?;
        let negated = if input.peek(Token![==]) {
            input.parse::<Token![==]>()?;
            false
        } else if input.peek(Token![!=]) {
            input.parse::<Token![!=]>()?;
            true
        } else {
            return Err(input.error(
                "a claim is compared with a constant: `claim(\"tenant\") == \"acme\"` (or `!=`)",
            ));
        };
        return Ok(Policy::Claim {
            name,
            negated,
            value: literal(input)?,
        });
    }
    if input.peek(Ident::peek_any) {
        let ident = input.call(Ident::parse_any)?;
        let hint = match ident.to_string().as_str() {
            "roles" => " (did you mean `role`?)",
            "scopes" => " (did you mean `scope`?)",
            "client" | "callers" => " (did you mean `caller`?)",
            "claims" => " (did you mean `claim`?)",
            "any" | "all" => "; combine with `or` / `and`",
            _ => "",
        };
        return Err(syn::Error::new(
            ident.span(),
            format!("unknown policy term `{ident}`{hint}; {EXPECTED_TERM}"),
        ));
    }
    if input.peek(Token![!]) {
        return Err(input.error("write `not` as a word"));
    }
    Err(input.error(EXPECTED_TERM))
}

/// `("name")` after `role`, `scope`, `caller` or `claim`.
fn name_argument(input: ParseStream<'_>, what: &str) -> syn::Result<LitStr> {
    if !input.peek(syn::token::Paren) {
        return Err(input.error(format!("expected `{what}(\"..\")`")));
    }
    let content;
    syn::parenthesized!(content in input);
    if !content.peek(LitStr) {
        return Err(content.error(format!("expected a string literal: `{what}(\"..\")`")));
    }
    let name: LitStr = content.parse()?;
    if !content.is_empty() {
        return Err(content.error(format!("`{what}(..)` takes one name")));
    }
    Ok(name)
}

/// A string, an integer (with an optional `-`) or a boolean.
fn literal(input: ParseStream<'_>) -> syn::Result<ClaimLiteral> {
    if input.peek(LitStr) {
        return Ok(ClaimLiteral::Str(input.parse()?));
    }
    if input.peek(LitBool) {
        return Ok(ClaimLiteral::Bool(input.parse()?));
    }
    let negative = input.peek(Token![-]);
    let minus = if negative {
        Some(input.parse::<Token![-]>()?)
    } else {
        None
    };
    if input.peek(LitInt) {
        let int: LitInt = input.parse()?;
        if !int.suffix().is_empty() {
            return Err(syn::Error::new(
                int.span(),
                "write the integer without a suffix",
            ));
        }
        let span = minus.map_or(int.span(), |m| {
            m.span().join(int.span()).unwrap_or(int.span())
        });
        let text = format!("{}{}", if negative { "-" } else { "" }, int.base10_digits());
        return Ok(ClaimLiteral::Int(text, span));
    }
    Err(input.error("a claim is compared with a string, an integer or `true` / `false`"))
}

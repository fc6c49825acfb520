//! Validate: the spec and the function's signature into a [`Plan`]. Every check and every
//! error of the macros after parsing is here; the errors of independent checks are combined,
//! each spanned on the offending token.

use std::path::PathBuf;

use quote::ToTokens;
use syn::{ItemFn, LitStr, ReturnType, parse_quote};

use crate::attr::{Combine, NamesArgs};
use crate::plan::{ClaimValue, Name, Plan, Requirement, Style, located_at, take_slots};
use crate::policy::{ClaimLiteral, Policy};
use crate::signature::{
    ClaimsParam, async_trait_body, claims_params, error_type_span, future_output, has_param,
    returns_result,
};
use crate::spec::{Errors, Spec, join};
use crate::vocabulary::{Vocabulary, check_declared_name};

/// The plan for `function` (already without its `auth` attributes), or every error found.
pub(crate) fn plan(spec: &Spec, mut function: ItemFn) -> syn::Result<Plan> {
    spec.errors.check()?;
    let attributes = join(crate_path(spec), requirement(spec));
    let signature = join(
        signature(spec, &mut function),
        crate::openapi::operation(&function),
    );
    let ((krate, (requirement, tracked)), ((style, params), operation)) =
        join(attributes, signature)?;
    let slots = take_slots(&mut function, params, spec.claims_name());
    Ok(Plan {
        krate,
        style,
        slots,
        requirement,
        locations: spec.token_locations().cloned(),
        check: spec.check().cloned(),
        tracked,
        operation,
        function,
    })
}

/// The one `crate = path` of the attributes (they may repeat it), else `::auth`.
fn crate_path(spec: &Spec) -> syn::Result<syn::Path> {
    let mut given = spec.crate_paths();
    let Some(first) = given.next() else {
        return Ok(parse_quote!(::auth));
    };
    let shown = first.to_token_stream().to_string();
    let mut errors = Errors::default();
    for other in given.filter(|p| p.to_token_stream().to_string() != shown) {
        errors.push(syn::Error::new_spanned(
            other,
            "the attributes name different `crate` paths",
        ));
    }
    errors.check()?;
    Ok(first.clone())
}

/// The requirement of the role, scope and policy attributes and of `callers = [..]`, and the
/// vocabulary files the roles were checked against. The vocabulary is read here, once, when a
/// role is named anywhere.
fn requirement(spec: &Spec) -> syn::Result<(Requirement, Vec<PathBuf>)> {
    let first_role = spec
        .roles
        .as_ref()
        .map(|roles| roles.names[0].span())
        .or_else(|| spec.policy.as_ref().and_then(|p| p.policy.first_role()));
    let vocabulary = first_role
        .map(|at| Vocabulary::load().map_err(|message| syn::Error::new(at, message)))
        .transpose()?;
    let roles = spec
        .roles
        .as_ref()
        .map(|roles| names(roles, vocabulary.as_deref()));
    let scopes = spec.scopes.as_ref().map(|scopes| names(scopes, None));
    let callers = spec.callers().map(callers);
    let policy = spec
        .policy
        .as_ref()
        .map(|args| policy(&args.policy, vocabulary.as_deref()));
    let (((roles, scopes), callers), policy) = join(
        join(
            join(roles.transpose(), scopes.transpose()),
            callers.transpose(),
        ),
        policy.transpose(),
    )?;
    let tracked = vocabulary.map(|v| v.sources.clone());
    let mut parts: Vec<Requirement> = [roles, scopes, callers, policy]
        .into_iter()
        .flatten()
        .collect();
    let requirement = match parts.len() {
        0 => Requirement::None,
        1 => parts.remove(0),
        _ => Requirement::AllOf(parts),
    };
    Ok((requirement, tracked.unwrap_or_default()))
}

/// The requirement of one attribute's names: roles when checked against a `vocabulary`,
/// scopes otherwise.
fn names(args: &NamesArgs, vocabulary: Option<&Vocabulary>) -> syn::Result<Requirement> {
    let what = if vocabulary.is_some() {
        "role"
    } else {
        "scope"
    };
    let mut errors = Errors::default();
    let mut members = Vec::new();
    // In the order of the literals, so that the errors are too.
    for name in distinct_names(&args.names, what) {
        match (name, vocabulary) {
            (Err(error), _) => errors.push(error),
            (Ok(name), Some(vocabulary)) => match known_role(vocabulary, &name.value) {
                Ok(()) => members.push(Requirement::Role {
                    satisfied_by: vocabulary.satisfied_by(&name.value),
                    name,
                }),
                Err(message) => errors.push(syn::Error::new(name.span, message)),
            },
            (Ok(name), None) => members.push(Requirement::Scope(name)),
        }
    }
    errors.check()?;
    if members.len() == 1 {
        return Ok(members.remove(0));
    }
    Ok(match args.combine {
        Combine::Any => Requirement::AnyOf(members),
        Combine::All => Requirement::AllOf(members),
    })
}

/// The requirement of a policy expression: each role declared, each name valid, each claim
/// comparable. Every mistake in the expression is reported, each on its token.
fn policy(policy: &Policy, vocabulary: Option<&Vocabulary>) -> syn::Result<Requirement> {
    let name = |lit: &LitStr, what: &str| -> syn::Result<Name> {
        let value = lit.value();
        check_declared_name(&value).map_err(|problem| {
            syn::Error::new(lit.span(), format!("invalid {what} name: {problem}"))
        })?;
        Ok(Name {
            value,
            span: lit.span(),
        })
    };
    Ok(match policy {
        Policy::Role(lit) => {
            let name = name(lit, "role")?;
            let Some(vocabulary) = vocabulary else {
                return Err(syn::Error::new(lit.span(), "no role vocabulary was read"));
            };
            known_role(vocabulary, &name.value).map_err(|m| syn::Error::new(lit.span(), m))?;
            Requirement::Role {
                satisfied_by: vocabulary.satisfied_by(&name.value),
                name,
            }
        }
        Policy::Scope(lit) => Requirement::Scope(name(lit, "scope")?),
        Policy::Caller(lit) => Requirement::Callers(vec![name(lit, "caller")?]),
        Policy::Claim {
            name: claim,
            negated,
            value,
        } => {
            let checked = name(claim, "claim")?;
            if let Some(instead) = claim_with_a_term_of_its_own(&checked.value) {
                return Err(syn::Error::new(
                    claim.span(),
                    format!(
                        "`{}` is not compared as a claim here: {instead}",
                        checked.value
                    ),
                ));
            }
            let value = match value {
                ClaimLiteral::Str(lit) => {
                    let text = lit.value();
                    if text.len() > 64 || text.contains('\0') {
                        return Err(syn::Error::new(
                            lit.span(),
                            "a claim's constant is at most 64 bytes, without NUL",
                        ));
                    }
                    ClaimValue::Str(Name {
                        value: text,
                        span: lit.span(),
                    })
                }
                ClaimLiteral::Int(text, span) => {
                    ClaimValue::Int(text.parse::<i64>().map_err(|_| {
                        syn::Error::new(*span, "the integer does not fit in an i64")
                    })?)
                }
                ClaimLiteral::Bool(lit) => ClaimValue::Bool(lit.value),
            };
            Requirement::Claim {
                name: checked,
                negated: *negated,
                value,
            }
        }
        Policy::Not(inner) => Requirement::Not(Box::new(self::policy(inner, vocabulary)?)),
        Policy::And(terms) | Policy::Or(terms) => {
            let mut errors = Errors::default();
            let mut members = Vec::new();
            for term in terms {
                match self::policy(term, vocabulary) {
                    Ok(member) => members.push(member),
                    Err(error) => errors.push(error),
                }
            }
            errors.check()?;
            if matches!(policy, Policy::And(_)) {
                Requirement::AllOf(members)
            } else {
                Requirement::AnyOf(members)
            }
        }
    })
}

/// What to write instead of comparing `claim` with a constant, for the claims a policy has a
/// term of its own for (or none that fits an equality).
fn claim_with_a_term_of_its_own(claim: &str) -> Option<&'static str> {
    match claim {
        "roles" => Some("write `role(\"..\")`, which follows the hierarchy"),
        "scope" | "scp" => Some("write `scope(\"..\")`"),
        "aud" => Some(
            "the verifier checks the audience; a token that reaches a handler is for this service",
        ),
        "client_id" | "azp" => Some("write `caller(\"..\")`, which reads `client_id`, else `azp`"),
        _ => None,
    }
}

/// The requirement of `callers = [..]`: at least one name, each a valid name, none twice.
fn callers(list: &crate::attr::CallerList) -> syn::Result<Requirement> {
    if list.names.is_empty() {
        return Err(syn::Error::new(
            list.span,
            "an allow-list of callers needs at least one name: with none, no request could pass",
        ));
    }
    let mut errors = Errors::default();
    let mut names = Vec::new();
    for name in distinct_names(&list.names, "caller") {
        match name {
            Ok(name) => names.push(name),
            Err(error) => errors.push(error),
        }
    }
    errors.check()?;
    Ok(Requirement::Callers(names))
}

/// Each of `lits`, in order, as a name; or the error, on its literal, of one that is not a
/// valid name or repeats an earlier one.
fn distinct_names<'a>(
    lits: &'a [LitStr],
    what: &'a str,
) -> impl Iterator<Item = syn::Result<Name>> + 'a {
    lits.iter().enumerate().map(move |(i, lit)| {
        let value = lit.value();
        let error = |message: String| syn::Error::new(lit.span(), message);
        if let Err(problem) = check_declared_name(&value) {
            Err(error(format!("invalid {what} name: {problem}")))
        } else if lits[..i].iter().any(|earlier| earlier.value() == value) {
            Err(error(format!("duplicate {what} `{value}`")))
        } else {
            Ok(Name {
                value,
                span: lit.span(),
            })
        }
    })
}

/// `Ok` for a declared role; else the error, with the closest declared role or all of them.
fn known_role(vocabulary: &Vocabulary, name: &str) -> Result<(), String> {
    if vocabulary.contains(name) {
        return Ok(());
    }
    Err(match vocabulary.closest(name) {
        Some(close) => format!("unknown role `{name}`; did you mean `{close}`?"),
        None => {
            let all: Vec<&str> = vocabulary.names().collect();
            format!(
                "unknown role `{name}`; the declared roles are: {}",
                all.join(", ")
            )
        }
    })
}

/// The style and the claims parameters (their `#[claims]` markers removed from `function`),
/// after checking that the signature fits the attributes.
fn signature(spec: &Spec, function: &mut ItemFn) -> syn::Result<(Style, Vec<ClaimsParam>)> {
    let mut errors = Errors::default();
    if function.sig.variadic.is_some() {
        errors.push(syn::Error::new_spanned(
            &function.sig.variadic,
            "protected functions cannot be variadic",
        ));
    }
    if spec.from().is_none() && async_trait_body(function).is_some() {
        errors.push(syn::Error::new(
            function.sig.ident.span(),
            "this method was already rewritten by `#[async_trait]` (a tonic service?), whose signature is fixed by its trait: \
             the extractor style cannot add a parameter to it; read the token from the request instead: \
             `#[protected(from = request, claims = claims)]`",
        ));
    }
    let params = claims_params(function);
    if let Err(error) = check_claims_params(spec, &params) {
        errors.push(error);
    }
    let style = match spec.from() {
        None => Style::Extractor,
        Some(source) => {
            if let Some(locations) = spec.token_locations() {
                errors.push(syn::Error::new_spanned(
                    locations,
                    "`token_locations = ...` chooses where the extractor reads the token; with `from = ...` the token source decides (implement `TokenSource` to read it elsewhere)",
                ));
            }
            if let Some(check) = spec.check() {
                errors.push(syn::Error::new_spanned(
                    check,
                    "`check = ...` runs in the extractor; with `from = ...` the body reads the request: call the check function there",
                ));
            }
            if !has_param(function, source) {
                errors.push(syn::Error::new(
                    source.span(),
                    format!(
                        "`{source}` is not a parameter of this function; `from = ...` names the parameter that carries the token"
                    ),
                ));
            }
            if let Err(error) = check_result_return(&function.sig) {
                errors.push(error);
            }
            Style::Source {
                param: source.clone(),
                error_span: located_at(error_type_span(&function.sig.output)),
            }
        }
    };
    errors.check()?;
    Ok((style, params))
}

/// At most one claims parameter; not optional under a requirement; not beside `claims = name`.
fn check_claims_params(spec: &Spec, params: &[ClaimsParam]) -> syn::Result<()> {
    let mut errors = Errors::default();
    if let Some(second) = params.get(1) {
        let (tokens, message) = match &second.marker {
            Some(marker) => (
                marker.to_token_stream(),
                "only one parameter can be marked #[claims]",
            ),
            None => (
                second.ty.to_token_stream(),
                "two parameters look like claims; mark the one to fill with #[claims]",
            ),
        };
        errors.push(syn::Error::new_spanned(tokens, message));
    }
    if let Some(first) = params.first()
        && first.optional_inner.is_some()
    {
        if spec.has_requirement() {
            errors.push(syn::Error::new_spanned(
                &first.ty,
                "optional authentication (`Option<...>` claims) cannot require a role, scope or caller; take the claims without `Option`",
            ));
        } else if spec.check().is_some() {
            errors.push(syn::Error::new_spanned(
                &first.ty,
                "a check function decides on claims: with `check = ...`, take the claims without `Option`",
            ));
        }
    }
    if let (Some(name), Some(param)) = (spec.claims_name(), params.first()) {
        let mut error = syn::Error::new(
            name.span(),
            "`claims = ...` names the claims when the function has no claims parameter, but this one has",
        );
        error.combine(syn::Error::new_spanned(&param.ty, "the claims parameter"));
        errors.push(error);
    }
    errors.check()
}

fn check_result_return(sig: &syn::Signature) -> syn::Result<()> {
    if returns_result(&sig.output) {
        return Ok(());
    }
    let message = "a `#[protected(from = ...)]` function returns `Result<_, E>` with `E: From<auth::AuthError>`, so that a rejected request can return early";
    Err(match &sig.output {
        ReturnType::Default => syn::Error::new(sig.paren_token.span.close(), message),
        ReturnType::Type(_, ty) => syn::Error::new_spanned(future_output(ty), message),
    })
}

#[cfg(test)]
mod tests {
    use proc_macro2::TokenStream;
    use quote::quote;

    use super::*;
    use crate::attr::Origin;
    use crate::spec::collect;

    fn plan_of(origin: Origin, args: TokenStream, item: TokenStream) -> syn::Result<Plan> {
        let mut function: ItemFn = syn::parse2(item).expect("a function");
        let spec = collect(origin, args, &mut function);
        plan(&spec, function)
    }

    #[test]
    fn attributes_in_any_order_make_one_requirement_tree() {
        let plan = plan_of(
            Origin::RequiresScope,
            quote!("orders:read"),
            quote!(
                #[protected(from = req)]
                #[requires_role(any("guest", "auditor"))]
                fn f(req: Request<()>) -> Result<(), E> {
                    Ok(())
                }
            ),
        )
        .unwrap_or_else(|e| panic!("valid: {e}"));
        let Requirement::AllOf(parts) = &plan.requirement else {
            panic!("roles and scopes together: {:?}", plan.requirement)
        };
        let Requirement::AnyOf(roles) = &parts[0] else {
            panic!("any(..) of roles: {:?}", parts[0])
        };
        assert!(matches!(&roles[0], Requirement::Role { name, satisfied_by }
            if name.value == "guest" && satisfied_by == &["guest", "admin", "user"]));
        assert!(matches!(&roles[1], Requirement::Role { name, .. } if name.value == "auditor"));
        assert!(matches!(&parts[1], Requirement::Scope(name) if name.value == "orders:read"));
        assert!(matches!(&plan.style, Style::Source { param, .. } if param == "req"));
        assert!(
            plan.function.attrs.is_empty(),
            "the auth attributes are taken off"
        );
        assert!(!plan.tracked.is_empty(), "the vocabulary files are tracked");
    }

    #[test]
    fn independent_mistakes_are_reported_together() {
        let error = plan_of(
            Origin::RequiresRole,
            quote!(any("amin", "")),
            quote!(
                async fn f(claims: Option<Claims>) {}
            ),
        )
        .err()
        .expect("invalid");
        let messages: Vec<String> = error.into_iter().map(|e| e.to_string()).collect();
        assert_eq!(messages.len(), 3, "{messages:?}");
        assert!(messages[0].contains("did you mean `admin`"));
        assert!(messages[1].contains("empty or blank"));
        assert!(messages[2].contains("optional authentication"));
    }

    #[test]
    fn the_fallback_plans_no_requirement() {
        let mut function: ItemFn = syn::parse2(quote!(
            async fn f(claims: Claims) -> String {
                x
            }
        ))
        .expect("a function");
        let spec = collect(Origin::RequiresRole, quote!("amin"), &mut function);
        assert!(plan(&spec, function.clone()).is_err());
        let out = crate::fallback::fallback(&spec, function).to_string();
        assert!(
            out.contains("NoRequirement") && !out.contains("Role"),
            "{out}"
        );
    }
}

//! Reading the annotated function: its claims parameters, `Option<T>`, the body that
//! `#[async_trait]` wrote, the error type of its `Result`. Facts only; the validation decides
//! what is an error.

use proc_macro2::Span;
use syn::spanned::Spanned;
use syn::{Attribute, FnArg, GenericArgument, Ident, ItemFn, Pat, PathArguments, ReturnType, Type};

/// A parameter that receives the claims.
pub(crate) struct ClaimsParam {
    pub(crate) index: usize,
    pub(crate) pat: Box<Pat>,
    pub(crate) ty: Box<Type>,
    /// `Option<T>`: `T`.
    pub(crate) optional_inner: Option<Type>,
    /// The `#[claims]` marker (any `Deserialize` type), `None` when recognized as `Claims`.
    pub(crate) marker: Option<Attribute>,
}

/// The claims parameters: those marked `#[claims]` if any, else those whose type is `Claims`,
/// `Arc<Claims>`, or either in an `Option`. Removes every `#[claims]` marker from the signature.
pub(crate) fn claims_params(function: &mut ItemFn) -> Vec<ClaimsParam> {
    let mut marked = Vec::new();
    let mut by_name = Vec::new();
    for (index, input) in function.sig.inputs.iter_mut().enumerate() {
        let FnArg::Typed(typed) = input else { continue };
        let marker = typed
            .attrs
            .iter()
            .find(|a| a.path().is_ident("claims"))
            .cloned();
        typed.attrs.retain(|a| !a.path().is_ident("claims"));
        let param = ClaimsParam {
            index,
            pat: typed.pat.clone(),
            ty: typed.ty.clone(),
            optional_inner: option_inner(&typed.ty).cloned(),
            marker,
        };
        if param.marker.is_some() {
            marked.push(param);
        } else if names_claims(&typed.ty) {
            by_name.push(param);
        }
    }
    if marked.is_empty() { by_name } else { marked }
}

/// Whether a typed parameter is the identifier `name`.
pub(crate) fn has_param(function: &ItemFn, name: &Ident) -> bool {
    function.sig.inputs.iter().any(|input| {
        matches!(input, FnArg::Typed(t) if matches!(&*t.pat, Pat::Ident(p) if p.ident == *name))
    })
}

/// Removes the parameters at `indices` from the signature.
pub(crate) fn remove_params(function: &mut ItemFn, indices: &[usize]) {
    function.sig.inputs = std::mem::take(&mut function.sig.inputs)
        .into_iter()
        .enumerate()
        .filter(|(i, _)| !indices.contains(i))
        .map(|(_, input)| input)
        .collect();
}

/// `Claims`, `Arc<Claims>` (shared with the verifier's cache), or either in an `Option`,
/// whatever the path before `Claims`.
fn names_claims(ty: &Type) -> bool {
    let ty = option_inner(ty).unwrap_or(ty);
    let ty = wrapped(ty, "Arc", &[&["std", "sync"], &["alloc", "sync"]]).unwrap_or(ty);
    matches!(ty, Type::Path(p) if p.qself.is_none() && p.path.segments.last().is_some_and(|s| s.ident == "Claims" && s.arguments.is_empty()))
}

/// `T` of `Option<T>` (also spelled `std::option::Option` or `core::option::Option`).
fn option_inner(ty: &Type) -> Option<&Type> {
    wrapped(ty, "Option", &[&["std", "option"], &["core", "option"]])
}

/// `T` of `Name<T>`, spelled `Name` or with one of the module paths `prefixes`.
fn wrapped<'t>(ty: &'t Type, name: &str, prefixes: &[&[&str]]) -> Option<&'t Type> {
    let Type::Path(path) = ty else { return None };
    if path.qself.is_some() {
        return None;
    }
    let (last, modules) = path
        .path
        .segments
        .iter()
        .collect::<Vec<_>>()
        .split_last()
        .map(|(last, modules)| {
            (
                *last,
                modules
                    .iter()
                    .map(|s| s.ident.to_string())
                    .collect::<Vec<_>>(),
            )
        })?;
    let prefixed =
        modules.is_empty() || prefixes.iter().any(|prefix| *prefix == modules.as_slice());
    if last.ident != name || !prefixed {
        return None;
    }
    let PathArguments::AngleBracketed(args) = &last.arguments else {
        return None;
    };
    match args.args.first()? {
        GenericArgument::Type(inner) if args.args.len() == 1 => Some(inner),
        _ => None,
    }
}

/// The `async move { .. }` of a body that `#[async_trait]` already rewrote to
/// `Box::pin(async move { .. })`, if the function is such.
pub(crate) fn async_trait_body(function: &mut ItemFn) -> Option<&mut syn::ExprAsync> {
    if function.sig.asyncness.is_some() {
        return None;
    }
    let Some(syn::Stmt::Expr(syn::Expr::Call(call), None)) = function.block.stmts.last_mut() else {
        return None;
    };
    let syn::Expr::Path(callee) = &*call.func else {
        return None;
    };
    let is_box_pin = callee.path.segments.len() >= 2
        && callee
            .path
            .segments
            .iter()
            .rev()
            .nth(1)
            .is_some_and(|s| s.ident == "Box")
        && callee
            .path
            .segments
            .last()
            .is_some_and(|s| s.ident == "pin");
    if !is_box_pin || call.args.len() != 1 {
        return None;
    }
    match call.args.first_mut() {
        Some(syn::Expr::Async(async_block)) => Some(async_block),
        _ => None,
    }
}

/// The span of `E` in `-> Result<T, E>`, else of the return type.
pub(crate) fn error_type_span(output: &ReturnType) -> Span {
    let ReturnType::Type(_, ty) = output else {
        return Span::call_site();
    };
    let ty = future_output(ty);
    if let Type::Path(path) = ty
        && let Some(PathArguments::AngleBracketed(args)) =
            path.path.segments.last().map(|s| &s.arguments)
        && let Some(GenericArgument::Type(error)) = args.args.iter().nth(1)
    {
        return error.span();
    }
    ty.span()
}

/// Whether the function returns a `..Result<..>` (directly or as the output of the future
/// `#[async_trait]` returns).
pub(crate) fn returns_result(output: &ReturnType) -> bool {
    let ReturnType::Type(_, ty) = output else {
        return false;
    };
    matches!(future_output(ty), Type::Path(path) if path
        .path
        .segments
        .last()
        .is_some_and(|s| s.ident.to_string().ends_with("Result")))
}

/// `T` of `Pin<Box<dyn Future<Output = T> + ..>>` (the return type `#[async_trait]` writes),
/// else the type itself.
pub(crate) fn future_output(ty: &Type) -> &Type {
    /// `T` of `Name<T, ..>`.
    fn first_type_arg<'t>(ty: &'t Type, name: &str) -> Option<&'t Type> {
        let Type::Path(path) = ty else { return None };
        let last = path.path.segments.last()?;
        let PathArguments::AngleBracketed(args) = &last.arguments else {
            return None;
        };
        match args.args.first()? {
            GenericArgument::Type(inner) if last.ident == name => Some(inner),
            _ => None,
        }
    }
    let output = || {
        let boxed = first_type_arg(ty, "Pin")?;
        let Type::TraitObject(object) = first_type_arg(boxed, "Box")? else {
            return None;
        };
        object.bounds.iter().find_map(|bound| {
            let syn::TypeParamBound::Trait(t) = bound else {
                return None;
            };
            let last = t.path.segments.last().filter(|s| s.ident == "Future")?;
            let PathArguments::AngleBracketed(args) = &last.arguments else {
                return None;
            };
            args.args.iter().find_map(|arg| match arg {
                GenericArgument::AssocType(assoc) if assoc.ident == "Output" => Some(&assoc.ty),
                _ => None,
            })
        })
    };
    output().unwrap_or(ty)
}

//! `roles!`: the role vocabulary of the manifest as a Rust enum, for run-time checks that use
//! the same names and hierarchy as the attributes. The same pipeline as the attributes, in
//! small: parse the declaration, plan the variants against the vocabulary (every name must
//! become a distinct Rust identifier), generate.
//!
//! ```text
//! auth::roles!(pub enum Role);
//! // with admin = ["user"], user = [] becomes
//! pub enum Role { Admin, User }
//! impl Role { pub const ALL: &[Role]; pub const fn name(self) -> &'static str; .. }
//! impl auth::RoleVocabulary for Role { .. satisfied_by: User => [User, Admin] .. }
//! impl Display, FromStr (Err = auth::UnknownRole)
//! ```

use std::path::PathBuf;

use proc_macro2::{Span, TokenStream};
use quote::quote;
use syn::parse::{Parse, ParseStream};
use syn::{Attribute, Ident, LitStr, Path, Token, Visibility, parse_quote};

use crate::expand::tracked_files;
use crate::vocabulary::Vocabulary;

/// `#[attrs] vis enum Name` with an optional `, crate = path`.
struct Declaration {
    attrs: Vec<Attribute>,
    vis: Visibility,
    name: Ident,
    krate: Path,
}

impl Parse for Declaration {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let attrs = input.call(Attribute::parse_outer)?;
        let vis: Visibility = input.parse()?;
        input.parse::<Token![enum]>().map_err(|_| {
            syn::Error::new(
                input.span(),
                "expected `enum Name`: `auth::roles!(pub enum Role);`",
            )
        })?;
        let name: Ident = input.parse()?;
        let mut krate = parse_quote!(::auth);
        if input.peek(Token![,]) {
            input.parse::<Token![,]>()?;
            if !input.is_empty() {
                input.parse::<Token![crate]>().map_err(|_| {
                    syn::Error::new(
                        input.span(),
                        "after the enum, the only argument is `crate = path`",
                    )
                })?;
                input.parse::<Token![=]>()?;
                krate = Path::parse_mod_style(input)?;
                input.parse::<Option<Token![,]>>()?;
            }
        }
        if input.peek(Token![;]) {
            input.parse::<Token![;]>()?;
        }
        if !input.is_empty() {
            return Err(input.error("unexpected tokens after `enum Name`"));
        }
        Ok(Declaration {
            attrs,
            vis,
            name,
            krate,
        })
    }
}

/// One declared role: its name and the identifier of its variant.
struct Variant {
    name: String,
    ident: Ident,
    /// The variants that meet it: itself first, then the roles that imply it.
    satisfied_by: Vec<Ident>,
}

/// What the expansion generates, as data.
struct Plan {
    declaration: Declaration,
    variants: Vec<Variant>,
    tracked: Vec<PathBuf>,
}

pub(crate) fn run(input: TokenStream) -> TokenStream {
    let declaration: Declaration = match syn::parse2(input) {
        Ok(declaration) => declaration,
        Err(error) => return error.to_compile_error(),
    };
    match plan(declaration) {
        Ok(plan) => generate(&plan),
        Err(error) => error.to_compile_error(),
    }
}

fn plan(declaration: Declaration) -> syn::Result<Plan> {
    let at = declaration.name.span();
    let vocabulary = Vocabulary::load().map_err(|message| syn::Error::new(at, message))?;
    let names: Vec<&str> = vocabulary.names().collect();
    let mut idents: Vec<(String, Ident)> = Vec::new();
    for name in &names {
        let ident = variant_ident(name).ok_or_else(|| {
            syn::Error::new(
                at,
                format!(
                    "the role `{name}` has no Rust name: a variant is made of its letters and digits in UpperCamelCase, and must start with a letter"
                ),
            )
        })?;
        if let Some((other, _)) = idents.iter().find(|(_, i)| *i == ident) {
            return Err(syn::Error::new(
                at,
                format!("the roles `{other}` and `{name}` would both be the variant `{ident}`"),
            ));
        }
        idents.push(((*name).to_owned(), ident));
    }
    let ident_of = |name: &str| {
        idents
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, ident)| ident.clone())
    };
    let variants = idents
        .iter()
        .map(|(name, ident)| Variant {
            name: name.clone(),
            ident: ident.clone(),
            satisfied_by: vocabulary
                .satisfied_by(name)
                .iter()
                .filter_map(|n| ident_of(n))
                .collect(),
        })
        .collect();
    Ok(Plan {
        tracked: vocabulary.sources.clone(),
        declaration,
        variants,
    })
}

/// `orders:read` → `OrdersRead`; `None` if that is not an identifier.
fn variant_ident(name: &str) -> Option<Ident> {
    let camel: String = name
        .split(|c: char| !c.is_alphanumeric())
        .filter(|part| !part.is_empty())
        .map(|part| {
            let mut chars = part.chars();
            chars.next().map_or_else(String::new, |first| {
                first.to_uppercase().chain(chars).collect::<String>()
            })
        })
        .collect();
    if !camel.chars().next().is_some_and(char::is_alphabetic) {
        return None;
    }
    syn::parse_str::<Ident>(&camel).ok()
}

fn generate(plan: &Plan) -> TokenStream {
    let Declaration {
        attrs,
        vis,
        name,
        krate,
    } = &plan.declaration;
    let idents: Vec<&Ident> = plan.variants.iter().map(|v| &v.ident).collect();
    let names: Vec<LitStr> = plan
        .variants
        .iter()
        .map(|v| LitStr::new(&v.name, Span::call_site()))
        .collect();
    let docs = plan.variants.iter().map(|v| {
        let implied_by: Vec<String> = v
            .satisfied_by
            .iter()
            .skip(1)
            .map(|i| format!("`{i}`"))
            .collect();
        let doc = if implied_by.is_empty() {
            format!("The role `{}`.", v.name)
        } else {
            format!(
                "The role `{}`; also met by {}.",
                v.name,
                implied_by.join(", ")
            )
        };
        LitStr::new(&doc, Span::call_site())
    });
    let satisfied = plan.variants.iter().map(|v| {
        let list = &v.satisfied_by;
        quote!(&[#(#name::#list),*])
    });
    let tracked = tracked_files(&plan.tracked);
    // A documentation of its own unless the declaration brings one.
    let module_doc = (!attrs.iter().any(|a| a.path().is_ident("doc"))).then(|| {
        let text = "The roles declared in the manifest, with their hierarchy: the vocabulary `#[requires_role]` checks names against, for run-time checks (`auth::Requirement::role`, `Claims::holds_role`).";
        quote!(#[doc = #text])
    });
    quote! {
        #module_doc
        #(#attrs)*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #vis enum #name {
            #( #[doc = #docs] #idents, )*
        }

        impl #name {
            /// Every declared role, ordered by name.
            pub const ALL: &'static [#name] = &[#(#name::#idents),*];

            /// The role's name, as tokens carry it.
            pub const fn name(self) -> &'static str {
                match self {
                    #( #name::#idents => #names, )*
                }
            }
        }

        impl #krate::RoleVocabulary for #name {
            fn all() -> &'static [Self] {
                #name::ALL
            }
            fn name(self) -> &'static str {
                #name::name(self)
            }
            fn satisfied_by(self) -> &'static [Self] {
                match self {
                    #( #name::#idents => #satisfied, )*
                }
            }
        }

        impl ::core::fmt::Display for #name {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                f.write_str(#name::name(*self))
            }
        }

        impl ::core::str::FromStr for #name {
            type Err = #krate::UnknownRole;
            fn from_str(text: &str) -> ::core::result::Result<Self, Self::Err> {
                <#name as #krate::RoleVocabulary>::from_name(text)
                    .ok_or_else(|| #krate::UnknownRole(::std::string::ToString::to_string(text)))
            }
        }

        #tracked
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_become_upper_camel_case_identifiers() {
        let ident = |name: &str| variant_ident(name).map(|i| i.to_string());
        assert_eq!(ident("admin").as_deref(), Some("Admin"));
        assert_eq!(ident("orders:read").as_deref(), Some("OrdersRead"));
        assert_eq!(ident("super-user_2").as_deref(), Some("SuperUser2"));
        assert_eq!(ident("Admin").as_deref(), Some("Admin"));
        assert_eq!(ident("2fa"), None);
        assert_eq!(ident("::"), None);
    }
}

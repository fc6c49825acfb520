//! The JWS header each thread accepted last, per header policy: the tokens of one authority's
//! key all carry the same header text (`{"alg":"RS256","kid":"…","typ":"at+jwt"}`), so a token
//! whose header is byte for byte the one accepted before needs neither its base64url nor its
//! JSON decoded again.
//!
//! What is remembered is only what the header text alone decides under one policy: that it is
//! strict base64url and JSON of the JWS shape, its `alg` supported and not `none`, no `crit`,
//! `enc` or unencoded payload, its `typ` the one required; and the `alg` and `kid` it names.
//! The key is still looked up by that `kid` in the current key set, and its algorithm compared,
//! on every token: a key rotation between two tokens changes nothing here.

use std::cell::RefCell;

use crate::algorithm::Algorithm;

/// A header text accepted under policy `policy_id`, and what it names.
struct Accepted {
    policy_id: u64,
    header_b64: Vec<u8>,
    alg: Algorithm,
    kid: Option<String>,
}

thread_local! {
    static LAST: RefCell<Option<Accepted>> = const { RefCell::new(None) };
}

/// If `header_b64` is the header text this thread accepted last under policy `policy_id`:
/// `found` of its algorithm and `kid`.
#[inline]
pub(crate) fn with<T>(
    policy_id: u64,
    header_b64: &[u8],
    found: impl FnOnce(Algorithm, Option<&str>) -> T,
) -> Option<T> {
    LAST.try_with(|slot| {
        let slot = slot.try_borrow().ok()?;
        let last = slot.as_ref()?;
        (last.policy_id == policy_id && last.header_b64 == header_b64)
            .then(|| found(last.alg, last.kid.as_deref()))
    })
    .ok()
    .flatten()
}

/// Remembers that `header_b64` was accepted under policy `policy_id`, naming `alg` and `kid`.
pub(crate) fn remember(policy_id: u64, header_b64: &[u8], alg: Algorithm, kid: Option<&str>) {
    // During thread teardown there is no slot any more; nothing to remember then.
    let _ = LAST.try_with(|slot| {
        let Ok(mut slot) = slot.try_borrow_mut() else {
            return;
        };
        match slot.as_mut() {
            // Reuse the buffers: a thread alternating between two headers allocates nothing.
            Some(last) => {
                last.policy_id = policy_id;
                last.header_b64.clear();
                last.header_b64.extend_from_slice(header_b64);
                last.alg = alg;
                match (kid, &mut last.kid) {
                    (Some(kid), Some(held)) => {
                        held.clear();
                        held.push_str(kid);
                    }
                    (kid, held) => *held = kid.map(str::to_owned),
                }
            }
            None => {
                *slot = Some(Accepted {
                    policy_id,
                    header_b64: header_b64.to_vec(),
                    alg,
                    kid: kid.map(str::to_owned),
                })
            }
        }
    });
}

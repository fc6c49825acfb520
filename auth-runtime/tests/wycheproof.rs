//! Project Wycheproof's JSON Web Signature vectors, every case, through the signature layer
//! (`Verifier::verify_signature`): the payloads are plain strings, not claim sets.
//!
//! The vectors live outside the repository, in `shared/vectors/wycheproof/` beside it (see its
//! `README.md`); the environment variable `WYCHEPROOF_JWS` points elsewhere. A missing file
//! fails the test: it never passes by skipping.
//!
//! Where this verifier rightly differs from the vectors' `result`, the case is listed in
//! [`DIVERGENCES`] with its reason. The test asserts the exact set of divergent cases: a new
//! disagreement fails, and so does a listed divergence that no longer happens.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stdout
)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use auth_runtime::{AuthError, KeyError, Verifier, VerifyingKey};
use serde_json::Value;

/// Why a case is allowed to disagree with its `result`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Why {
    /// RFC 7520 example whose key's `alg` names another algorithm than the token's. Each key is
    /// bound to exactly one algorithm (RFC 8725 section 3.1, DESIGN.md section 4), so the
    /// token is refused: `AlgorithmMismatch`, or the key itself is refused because its `alg`
    /// is not one this crate supports (`"ES521"` on a P-521 key; ES512 is unsupported).
    KeyBoundToOtherAlg,
    /// `?` inside the base64url text: not in the base64url alphabet (RFC 7515 section 2,
    /// RFC 4648 section 5), where lenient decoders skip the character. In the header, strict
    /// decoding refuses it (`Malformed`). In the payload, the signature fails first
    /// (`InvalidSignature`): the signing input is the token's literal text, which the signer
    /// never signed with a `?`, and the payload is decoded only after the signature verified.
    StrictBase64url,
    /// The vector's `jws` is byte-for-byte the token of tcId 357 (`ValidMac`, `valid`): the
    /// padding defect its comment announces is absent from the stored text, so a correct
    /// verifier must accept it. The test checks that the text is indeed identical.
    SameTextAsValid357,
}

/// Every intentional divergence, by `tcId`, with its reason.
const DIVERGENCES: &[(u64, Why, &str)] = &[
    (
        346,
        Why::KeyBoundToOtherAlg,
        "RFC 7520 Figure 20: PS384 token, key with alg PS256",
    ),
    (
        347,
        Why::KeyBoundToOtherAlg,
        "RFC 7520 Figure 27: ES512 token, P-521 key with alg \"ES521\" (unsupported)",
    ),
    (
        350,
        Why::KeyBoundToOtherAlg,
        "RFC 7520 Figure 20 (key_ops): PS384 token, key with alg PS256",
    ),
    (
        351,
        Why::KeyBoundToOtherAlg,
        "RFC 7520 Figure 27 (key_ops): ES512 token, P-521 key with alg \"ES521\" (unsupported)",
    ),
    (
        367,
        Why::SameTextAsValid357,
        "invalidBase64Padding: stored jws identical to valid tcId 357",
    ),
    (
        370,
        Why::SameTextAsValid357,
        "invalidBase64PaddingInPayload: stored jws identical to valid tcId 357",
    ),
    (
        372,
        Why::StrictBase64url,
        "InvalidCharacterInsertedInHeader: `?` in the header's base64url",
    ),
    (
        373,
        Why::StrictBase64url,
        "InvalidCharacterInsertedInPayload: `?` in the payload's base64url",
    ),
];

/// The `ValidMac` case whose text tcId 367 and 370 repeat.
const VALID_MAC_TC_ID: u64 = 357;

fn vectors_path() -> PathBuf {
    match std::env::var_os("WYCHEPROOF_JWS") {
        Some(path) => PathBuf::from(path),
        None => PathBuf::from(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../shared/vectors/wycheproof/json_web_signature_test.json"
        )),
    }
}

/// What the verifier made of one case.
#[derive(Debug, Clone)]
enum Outcome {
    Valid,
    /// The group's key could not be loaded, so nothing verifies with it.
    KeyRefused(KeyError),
    Rejected(AuthError),
}

impl Outcome {
    fn is_valid(&self) -> bool {
        matches!(self, Outcome::Valid)
    }
}

struct Case {
    tc_id: u64,
    group: String,
    comment: String,
    jws: String,
    expected_valid: bool,
    outcome: Outcome,
}

fn str_field<'a>(value: &'a Value, name: &str, what: &str) -> &'a str {
    value
        .get(name)
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("{what}: `{name}` is missing or not a string"))
}

fn run_all(vectors: &Value) -> Vec<Case> {
    let groups = vectors
        .get("testGroups")
        .and_then(Value::as_array)
        .expect("the vectors have a `testGroups` array");
    let mut cases = Vec::new();
    for group in groups {
        let name = str_field(group, "comment", "test group").to_owned();
        // Asymmetric groups give the `public` key; HMAC groups only the `private` (secret)
        // one, which is explicit secret configuration, never a public JWK.
        let key = match (group.get("public"), group.get("private")) {
            (Some(public), _) => VerifyingKey::from_jwk(public),
            (None, Some(secret)) => VerifyingKey::from_secret_jwk(secret),
            (None, None) => panic!("group {name} has neither `public` nor `private` key"),
        };
        let verifier = key.map(|key| {
            Verifier::builder()
                .key(key)
                .any_issuer()
                .any_audience()
                .build()
                .expect("a verifier with one key, any issuer, any audience")
        });
        let tests = group
            .get("tests")
            .and_then(Value::as_array)
            .unwrap_or_else(|| panic!("group {name} has no `tests` array"));
        for test in tests {
            let tc_id = test
                .get("tcId")
                .and_then(Value::as_u64)
                .expect("every test has a numeric tcId");
            let what = format!("tcId {tc_id}");
            let jws = str_field(test, "jws", &what).to_owned();
            let expected_valid = match str_field(test, "result", &what) {
                "valid" => true,
                "invalid" => false,
                other => panic!("{what}: unexpected result `{other}`"),
            };
            let outcome = match &verifier {
                Err(error) => Outcome::KeyRefused(error.clone()),
                Ok(verifier) => match verifier.verify_signature(&jws) {
                    Ok(_) => Outcome::Valid,
                    Err(error) => Outcome::Rejected(error),
                },
            };
            cases.push(Case {
                tc_id,
                group: name.clone(),
                comment: str_field(test, "comment", &what).to_owned(),
                jws,
                expected_valid,
                outcome,
            });
        }
    }
    cases
}

/// Whether `case` diverges for the stated reason, not some other one.
fn diverges_for(case: &Case, why: Why, valid_mac: Option<&str>) -> Result<(), String> {
    let outcome = &case.outcome;
    let ok = match why {
        Why::KeyBoundToOtherAlg => {
            case.expected_valid
                && matches!(
                    outcome,
                    Outcome::Rejected(AuthError::AlgorithmMismatch { .. })
                        | Outcome::KeyRefused(KeyError::UnsupportedAlgorithm(_))
                )
        }
        Why::StrictBase64url => {
            let mut parts = case.jws.split('.');
            let in_header = parts.next().is_some_and(|part| part.contains('?'));
            let in_payload = parts.next().is_some_and(|part| part.contains('?'));
            case.expected_valid
                && match outcome {
                    Outcome::Rejected(AuthError::Malformed(_)) => in_header || in_payload,
                    Outcome::Rejected(AuthError::InvalidSignature) => in_payload && !in_header,
                    _ => false,
                }
        }
        Why::SameTextAsValid357 => {
            !case.expected_valid
                && outcome.is_valid()
                && valid_mac.is_some_and(|text| text == case.jws)
        }
    };
    if ok {
        Ok(())
    } else {
        Err(format!(
            "tcId {} ({} / {}): listed as {why:?} but the outcome is {outcome:?} (expected {})",
            case.tc_id,
            case.group,
            case.comment,
            if case.expected_valid {
                "valid"
            } else {
                "invalid"
            }
        ))
    }
}

#[test]
fn wycheproof_json_web_signature() {
    let path = vectors_path();
    let text = std::fs::read_to_string(&path).unwrap_or_else(|error| {
        panic!(
            "cannot read the Wycheproof JWS vectors at {}: {error}. They belong in \
             shared/vectors/wycheproof/ beside the repository; set WYCHEPROOF_JWS to the \
             file's path if they are elsewhere. This test never skips.",
            path.display()
        )
    });
    let vectors: Value = serde_json::from_str(&text).expect("the vectors file is JSON");
    let declared = vectors
        .get("numberOfTests")
        .and_then(Value::as_u64)
        .expect("the vectors declare numberOfTests");

    let cases = run_all(&vectors);

    let mut seen = BTreeSet::new();
    for case in &cases {
        assert!(seen.insert(case.tc_id), "tcId {} appears twice", case.tc_id);
    }
    let listed: BTreeMap<u64, (Why, &str)> = DIVERGENCES
        .iter()
        .map(|(id, why, note)| (*id, (*why, *note)))
        .collect();
    assert_eq!(listed.len(), DIVERGENCES.len(), "a tcId is listed twice");

    let valid_mac = cases
        .iter()
        .find(|c| c.tc_id == VALID_MAC_TC_ID)
        .map(|c| c.jws.as_str());
    let mut divergent = BTreeSet::new();
    let mut problems = Vec::new();
    for case in &cases {
        if case.outcome.is_valid() == case.expected_valid {
            continue;
        }
        divergent.insert(case.tc_id);
        match listed.get(&case.tc_id) {
            Some((why, _)) => {
                if let Err(problem) = diverges_for(case, *why, valid_mac) {
                    problems.push(problem);
                }
            }
            None => problems.push(format!(
                "tcId {} ({} / {}): expected {}, got {:?}",
                case.tc_id,
                case.group,
                case.comment,
                if case.expected_valid {
                    "valid"
                } else {
                    "invalid"
                },
                case.outcome
            )),
        }
    }
    for (id, (why, note)) in &listed {
        if !divergent.contains(id) {
            problems.push(format!(
                "tcId {id} is listed as a divergence ({why:?}: {note}) but now agrees with the \
                 vectors: remove it from DIVERGENCES"
            ));
        }
    }

    let run = cases.len();
    let agreed = run - divergent.len();
    println!(
        "Wycheproof JWS ({}): {run} cases run, {agreed} agreed, {} divergent (listed: {})",
        path.display(),
        divergent.len(),
        DIVERGENCES.len()
    );
    if std::env::var_os("WYCHEPROOF_VERBOSE").is_some() {
        for case in &cases {
            println!(
                "  tcId {:3} {:>7} {:<20} {:<45} {:?}",
                case.tc_id,
                if case.expected_valid {
                    "valid"
                } else {
                    "invalid"
                },
                case.group,
                case.comment,
                case.outcome
            );
        }
    }
    for (id, (why, note)) in &listed {
        println!("  divergence tcId {id}: {why:?}: {note}");
    }

    assert!(
        problems.is_empty(),
        "{} problem(s) with the Wycheproof JWS vectors:\n{}",
        problems.len(),
        problems.join("\n")
    );
    assert_eq!(
        u64::try_from(run).expect("a count fits u64"),
        declared,
        "cases run must equal numberOfTests"
    );
    assert_eq!(
        divergent,
        listed.keys().copied().collect(),
        "the divergent cases must be exactly the listed ones"
    );
}

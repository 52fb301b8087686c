//! The offline search for a JWT's HMAC secret. The token's signing input is fixed, so
//! it is padded into hash blocks once; each guess then costs the HMAC's compressions
//! alone (seven for HS256 on a typical token), with no allocation and no
//! per-guess buffering: `sha2`'s block function does the hashing (with the CPU's SHA
//! extensions where it has them), this module only lays out HMAC's blocks. Tests check
//! it against the `hmac` crate. The guesses come from [`super::secret_guesses`]; no
//! request is sent.

use std::ops::ControlFlow;
use std::time::{Duration, Instant};

use sha2::Digest as _;
use sha2::digest::consts::{U64, U128};
use sha2::digest::generic_array::GenericArray;

use super::secret_guesses::{GuessKind, Guesses};

type Block64 = GenericArray<u8, U64>;
type Block128 = GenericArray<u8, U128>;

/// FIPS 180-4 initial hash values.
const SHA256_IV: [u32; 8] = [
    0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
];
const SHA384_IV: [u64; 8] = [
    0xcbbb9d5dc1059ed8,
    0x629a292a367cd507,
    0x9159015a3070dd17,
    0x152fecd8f70e5939,
    0x67332667ffc00b31,
    0x8eb44a8768581511,
    0xdb0c2e0d64f98fa7,
    0x47b5481dbefa4fa4,
];
const SHA512_IV: [u64; 8] = [
    0x6a09e667f3bcc908,
    0xbb67ae8584caa73b,
    0x3c6ef372fe94f82b,
    0xa54ff53a5f1d36f1,
    0x510e527fade682d1,
    0x9b05688c2b3e6c1f,
    0x1f83d9abfb41bd6b,
    0x5be0cd19137e2179,
];
const IPAD: u8 = 0x36;
const OPAD: u8 = 0x5c;

/// The HMAC algorithms a JWT can be signed with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HmacAlg {
    Hs256,
    Hs384,
    Hs512,
}

impl HmacAlg {
    /// The algorithm a JWT header's `alg` names, when it is an HMAC.
    pub fn from_jwt(alg: &str) -> Option<HmacAlg> {
        match alg {
            "HS256" => Some(HmacAlg::Hs256),
            "HS384" => Some(HmacAlg::Hs384),
            "HS512" => Some(HmacAlg::Hs512),
            _ => None,
        }
    }

    /// The length of this algorithm's signature in bytes.
    fn signature_len(self) -> usize {
        match self {
            HmacAlg::Hs256 => 32,
            HmacAlg::Hs384 => 48,
            HmacAlg::Hs512 => 64,
        }
    }
}

/// A signed message whose key is sought: the signing input (`header.payload` of a JWT)
/// already padded into the blocks that follow the key block, and the signature.
#[derive(Debug, Clone)]
pub struct SignedInput {
    alg: HmacAlg,
    kernel: Kernel,
}

#[derive(Debug, Clone)]
enum Kernel {
    Sha256 {
        tail: Vec<Block64>,
        signature: [u32; 8],
    },
    /// SHA-384 and SHA-512 share the block function; they differ in start and length.
    Sha512 {
        iv: [u64; 8],
        tail: Vec<Block128>,
        /// The signature's bytes as big-endian words; SHA-384 uses the first six.
        signature: [u64; 8],
        words: usize,
    },
}

impl SignedInput {
    /// `None` unless `alg` is an HMAC and `signature` has its length (a truncated or
    /// padded signature can never verify).
    pub fn new(alg: &str, input: &[u8], signature: &[u8]) -> Option<SignedInput> {
        let alg = HmacAlg::from_jwt(alg)?;
        if signature.len() != alg.signature_len() {
            return None;
        }
        let kernel = match alg {
            HmacAlg::Hs256 => {
                let mut words = [0u32; 8];
                for (w, chunk) in words.iter_mut().zip(signature.chunks_exact(4)) {
                    *w = u32::from_be_bytes(chunk.try_into().expect("4 bytes"));
                }
                Kernel::Sha256 {
                    tail: padded::<U64>(input, 8),
                    signature: words,
                }
            }
            HmacAlg::Hs384 | HmacAlg::Hs512 => {
                let mut words = [0u64; 8];
                for (w, chunk) in words.iter_mut().zip(signature.chunks_exact(8)) {
                    *w = u64::from_be_bytes(chunk.try_into().expect("8 bytes"));
                }
                Kernel::Sha512 {
                    iv: if alg == HmacAlg::Hs384 {
                        SHA384_IV
                    } else {
                        SHA512_IV
                    },
                    tail: padded::<U128>(input, 16),
                    signature: words,
                    words: signature.len() / 8,
                }
            }
        };
        Some(SignedInput { alg, kernel })
    }

    pub fn alg(&self) -> HmacAlg {
        self.alg
    }

    /// Whether `key` produced the signature.
    pub fn verifies(&self, key: &[u8]) -> bool {
        match &self.kernel {
            Kernel::Sha256 { tail, signature } => hmac_sha256(key, tail) == *signature,
            Kernel::Sha512 {
                iv,
                tail,
                signature,
                words,
            } => {
                let mac = hmac_sha512(*iv, *words, key, tail);
                mac[..*words] == signature[..*words]
            }
        }
    }
}

/// `input` as hashed after one key block: followed by `0x80`, zeros and the bit length
/// of key block plus input (in `len_bytes` big-endian bytes), in whole blocks.
fn padded<N>(input: &[u8], len_bytes: usize) -> Vec<GenericArray<u8, N>>
where
    N: sha2::digest::generic_array::ArrayLength<u8>,
{
    let block = N::to_usize();
    let bits = ((block + input.len()) as u128) * 8;
    let mut bytes = input.to_vec();
    bytes.push(0x80);
    while !(bytes.len() + len_bytes).is_multiple_of(block) {
        bytes.push(0);
    }
    bytes.extend_from_slice(&bits.to_be_bytes()[16 - len_bytes..]);
    bytes
        .chunks_exact(block)
        .map(GenericArray::clone_from_slice)
        .collect()
}

/// HMAC-SHA-256 of the input whose padded blocks are `tail`, as big-endian words.
fn hmac_sha256(key: &[u8], tail: &[Block64]) -> [u32; 8] {
    let hashed;
    let key = if key.len() > 64 {
        hashed = sha2::Sha256::digest(key);
        &hashed[..]
    } else {
        key
    };
    // A block of pad bytes with the key's bytes xor'ed in: the work per guess grows
    // with the key's length, not the block's (unoptimised test builds feel it).
    let mut block = [IPAD; 64];
    for (b, k) in block.iter_mut().zip(key) {
        *b ^= k;
    }
    let mut inner = SHA256_IV;
    sha2::compress256(&mut inner, &[Block64::from(block)]);
    sha2::compress256(&mut inner, tail);
    let mut block = [OPAD; 64];
    for (b, k) in block.iter_mut().zip(key) {
        *b ^= k;
    }
    let mut outer = SHA256_IV;
    sha2::compress256(&mut outer, &[Block64::from(block)]);
    let mut last = [0u8; 64];
    for (chunk, word) in last.chunks_exact_mut(4).zip(inner) {
        chunk.copy_from_slice(&word.to_be_bytes());
    }
    last[32] = 0x80;
    last[56..].copy_from_slice(&((64u64 + 32) * 8).to_be_bytes());
    sha2::compress256(&mut outer, &[Block64::from(last)]);
    outer
}

/// HMAC-SHA-384 or -512 (by `iv`; `words` 6 or 8 of output) of the input whose padded
/// blocks are `tail`, as big-endian words.
fn hmac_sha512(iv: [u64; 8], words: usize, key: &[u8], tail: &[Block128]) -> [u64; 8] {
    let hashed;
    let key = if key.len() > 128 {
        hashed = if words == 6 {
            sha2::Sha384::digest(key).to_vec()
        } else {
            sha2::Sha512::digest(key).to_vec()
        };
        &hashed[..]
    } else {
        key
    };
    let mut block = [IPAD; 128];
    for (b, k) in block.iter_mut().zip(key) {
        *b ^= k;
    }
    let mut inner = iv;
    sha2::compress512(&mut inner, &[Block128::from(block)]);
    sha2::compress512(&mut inner, tail);
    let mut block = [OPAD; 128];
    for (b, k) in block.iter_mut().zip(key) {
        *b ^= k;
    }
    let mut outer = iv;
    sha2::compress512(&mut outer, &[Block128::from(block)]);
    let mut last = [0u8; 128];
    for (chunk, word) in last.chunks_exact_mut(8).zip(&inner[..words]) {
        chunk.copy_from_slice(&word.to_be_bytes());
    }
    last[words * 8] = 0x80;
    let bits = (128 + words as u128 * 8) * 8;
    last[112..].copy_from_slice(&bits.to_be_bytes());
    sha2::compress512(&mut outer, &[Block128::from(last)]);
    outer
}

/// The secret a search found: what kind of guess it was, and the secret itself (to be
/// registered with the redactor and masked, never printed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    pub kind: GuessKind,
    pub secret: String,
}

/// What a search did: the secret if one verified, how many guesses it tried, and
/// how long it took.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub found: Option<Found>,
    pub tried: usize,
    pub elapsed: Duration,
}

/// Tries every guess of `guesses` against `target` until one verifies. CPU-bound
/// (about half a million guesses at most): call it from a blocking thread.
pub fn search(target: &SignedInput, guesses: &Guesses<'_>) -> Outcome {
    let start = Instant::now();
    let mut found = None;
    let (_, tried) = guesses.for_each(|kind, guess| {
        if target.verifies(guess) {
            found = Some(Found {
                kind,
                secret: String::from_utf8_lossy(guess).into_owned(),
            });
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    });
    Outcome {
        found,
        tried,
        elapsed: start.elapsed(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::families::auth::secret_guesses::{
        AppWords, Dictionary, GuessKind, MAX_GUESSES, WordSource,
    };

    use hmac::{Hmac, Mac};

    macro_rules! sign {
        ($d:ty, $key:expr, $input:expr) => {{
            let mut mac = <Hmac<$d> as Mac>::new_from_slice($key).unwrap();
            mac.update($input);
            mac.finalize().into_bytes().to_vec()
        }};
    }

    /// The block layout against the `hmac` crate, across every padding boundary.
    #[test]
    fn agrees_with_the_hmac_crate_for_every_length() {
        let data: Vec<u8> = (0..300u32).map(|i| (i * 7 + 3) as u8).collect();
        for len in 0..data.len() {
            let input = &data[..len];
            let key = &data[len % 150..len % 150 + 1 + len % 140];
            let cases = [
                ("HS256", sign!(sha2::Sha256, key, input)),
                ("HS384", sign!(sha2::Sha384, key, input)),
                ("HS512", sign!(sha2::Sha512, key, input)),
            ];
            for (alg, sig) in cases {
                let target = SignedInput::new(alg, input, &sig).unwrap();
                assert!(
                    target.verifies(key),
                    "{alg}, input {len}, key {}",
                    key.len()
                );
                let mut other = key.to_vec();
                other[0] ^= 1;
                assert!(!target.verifies(&other), "{alg}, input {len}");
            }
        }
    }

    #[test]
    fn verifies_each_hmac_alg_with_short_and_long_keys() {
        let input = b"eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0";
        let long = [b'k'; 200];
        for key in [&b"sunshine"[..], &long[..], b""] {
            let cases = [
                ("HS256", sign!(sha2::Sha256, key, input)),
                ("HS384", sign!(sha2::Sha384, key, input)),
                ("HS512", sign!(sha2::Sha512, key, input)),
            ];
            for (alg, sig) in cases {
                let target = SignedInput::new(alg, input, &sig).unwrap();
                assert!(target.verifies(key), "{alg} with a {}-byte key", key.len());
                assert!(!target.verifies(b"sunshine1"), "{alg}");
            }
        }
    }

    fn hs256(key: &[u8]) -> SignedInput {
        let input = b"eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiI0NzExIiwiaXNzIjoibGVkZ2VybGluZSJ9";
        SignedInput::new("HS256", input, &sign!(sha2::Sha256, key, input)).unwrap()
    }

    #[test]
    fn finds_an_ordinary_english_word_missing_from_the_short_list() {
        assert!(super::super::jwt::weak_secrets().all(|s| !s.contains("angerine")));
        let dictionary = Dictionary::builtin();
        for secret in ["tangerine", "Tangerine", "tangerine123", "TANGERINE"] {
            let outcome = search(
                &hs256(secret.as_bytes()),
                &Guesses::new(&dictionary, vec![]),
            );
            let found = outcome.found.expect(secret);
            assert_eq!(found.kind, GuessKind::DictionaryWord);
            assert_eq!(found.secret, secret);
        }
    }

    #[test]
    fn finds_the_apps_name_with_a_year_and_names_the_kind() {
        let dictionary = Dictionary::from_text("");
        let mut words = AppWords::default();
        words.add("Invoices · Ledgerline", WordSource::Title);
        words.add("app.ledgerline.test", WordSource::Host);
        for secret in [
            "Ledgerline2024",
            "ledgerline-2019",
            "jwt-ledgerline",
            "ledgerline_secret",
        ] {
            let outcome = search(
                &hs256(secret.as_bytes()),
                &Guesses::new(&dictionary, words.ranked()),
            );
            let found = outcome.found.expect(secret);
            assert_eq!(found.kind, GuessKind::AppDerived, "{secret}");
            assert_eq!(found.secret, secret);
        }
        let placeholder = search(
            &hs256(b"your-256-bit-secret"),
            &Guesses::new(&dictionary, vec![]),
        );
        assert_eq!(
            placeholder.found.map(|f| f.kind),
            Some(GuessKind::FrameworkPlaceholder)
        );
    }

    #[test]
    fn a_random_secret_is_not_found_and_the_search_is_bounded() {
        let dictionary = Dictionary::builtin();
        let guesses = Guesses::new(&dictionary, vec!["Ledgerline".into(), "acme".into()]);
        let total = guesses.total();
        let outcome = search(&hs256(&rand::random::<[u8; 32]>()), &guesses);
        assert!(outcome.found.is_none());
        assert_eq!(outcome.tried, total);
        assert!(total <= MAX_GUESSES);
        // Release builds take a fraction of a second (README, Benchmarks (5)); this
        // bound only catches a search that stopped being bounded.
        assert!(outcome.elapsed.as_secs() < 60, "{:?}", outcome.elapsed);
    }

    #[test]
    fn refuses_other_algs_and_wrong_signature_lengths() {
        let sig = sign!(sha2::Sha256, b"k", b"x");
        assert!(SignedInput::new("RS256", b"x", &sig).is_none());
        assert!(SignedInput::new("HS512", b"x", &sig).is_none());
        assert!(SignedInput::new("HS256", b"x", &sig[..31]).is_none());
        assert!(SignedInput::new("HS256", b"x", &sig).is_some());
    }
}

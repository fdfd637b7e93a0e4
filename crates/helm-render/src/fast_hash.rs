//! The hasher of the crate's internal tables: `rustc-hash`'s Fx hash, unkeyed and fast.
//!
//! SipHash (the std default) resists collision flooding by attacker-chosen keys at several
//! times the cost. The tables hashed with this one are the function table (fixed names that
//! templates can only look up) and the render memos (keys are template and document text a
//! chart produces; colliding texts only share a bucket, which is scanned in full, so the
//! worst case is a slower lookup, never a wrong hit).

/// The hasher.
pub type FastHasher = rustc_hash::FxHasher;

/// Builds [`FastHasher`]s, for `HashMap<K, V, BuildFastHasher>`.
pub type BuildFastHasher = rustc_hash::FxBuildHasher;

//! Change bytes from someone else, decoded with bounded memory and time.
//!
//! `automerge::Change::from_bytes` inflates a compressed change without a
//! limit (1 MB became 1 GiB on the server) and expands run-length encoded
//! operation columns as the document applies them (a few bytes can claim a
//! billion operations). So the chunk header is read here first: a
//! compressed body is inflated up to [`ChangeLimits::bytes`], the operation
//! and predecessor counts the columns claim are summed without expanding
//! them, and only then does automerge parse the change. The checksum in the
//! header must match the change's hash, which automerge does not check.

use std::io::Read;

use automerge::Change;

/// The magic bytes every Automerge chunk starts with.
const MAGIC: [u8; 4] = [0x85, 0x6f, 0x4a, 0x83];
const CHUNK_CHANGE: u8 = 1;
const CHUNK_COMPRESSED: u8 = 2;
/// Column specs (id << 4 | type) of the operation columns counted here:
/// the action column (id 4, integer) has one value per operation; the
/// predecessor group column (id 7, group) has each operation's count.
const ACTION_COLUMN: u32 = (4 << 4) | 2;
const PRED_GROUP_COLUMN: u32 = 7 << 4;
/// The deflate bit of a column spec (never set in a change chunk).
const DEFLATE_BIT: u32 = 0b1000;

/// How large a change may be once decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChangeLimits {
    /// Bytes of the change's body, uncompressed.
    pub bytes: usize,
    /// Operations in the change.
    pub ops: u64,
    /// Predecessor references, over all its operations.
    pub preds: u64,
}

impl ChangeLimits {
    /// Far above anything a workstation makes (a week of 400 appointments
    /// written in one change holds some 6,000 operations; the test
    /// `the_demo_clinic_is_valid` keeps a factor of ten to the largest
    /// demo change), far below what hurts a server.
    pub const STANDARD: ChangeLimits = ChangeLimits {
        bytes: 16 * 1024 * 1024,
        ops: 500_000,
        preds: 1_000_000,
    };
}

impl Default for ChangeLimits {
    fn default() -> Self {
        ChangeLimits::STANDARD
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error("not an Automerge change: {0}")]
    Malformed(String),
    #[error("the change is over {limit} bytes once uncompressed")]
    TooLarge { limit: usize },
    #[error("the change claims more than {limit} {what}")]
    TooManyOps { what: &'static str, limit: u64 },
    #[error("the change's checksum does not match its contents")]
    Checksum,
}

impl DecodeError {
    /// A stable code for the wire and the quarantine.
    pub fn code(&self) -> &'static str {
        match self {
            DecodeError::Malformed(_) => "bad_change",
            DecodeError::TooLarge { .. } | DecodeError::TooManyOps { .. } => "change_too_large",
            DecodeError::Checksum => "bad_checksum",
        }
    }
}

fn malformed(what: &str) -> DecodeError {
    DecodeError::Malformed(what.to_string())
}

/// A cursor over untrusted bytes; every read is checked.
struct Reader<'a> {
    bytes: &'a [u8],
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8], DecodeError> {
        if n > self.bytes.len() {
            return Err(malformed(&format!("{what} runs past the end")));
        }
        let (head, rest) = self.bytes.split_at(n);
        self.bytes = rest;
        Ok(head)
    }

    fn uleb(&mut self, what: &str) -> Result<u64, DecodeError> {
        let mut value: u64 = 0;
        for shift in (0..64).step_by(7) {
            let [byte] = self.take(1, what)? else {
                return Err(malformed(what));
            };
            let part = u64::from(byte & 0x7f);
            if shift == 63 && part > 1 {
                return Err(malformed(&format!("{what} overflows")));
            }
            value |= part << shift;
            if byte & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err(malformed(&format!("{what} overflows")))
    }

    fn sleb(&mut self, what: &str) -> Result<i64, DecodeError> {
        let mut value: i64 = 0;
        let mut shift = 0u32;
        loop {
            let [byte] = self.take(1, what)? else {
                return Err(malformed(what));
            };
            if shift >= 64 {
                return Err(malformed(&format!("{what} overflows")));
            }
            value |= i64::from(byte & 0x7f).wrapping_shl(shift);
            shift += 7;
            if byte & 0x80 == 0 {
                if shift < 64 && byte & 0x40 != 0 {
                    value |= -1i64 << shift;
                }
                return Ok(value);
            }
        }
    }

    fn length(&mut self, what: &str) -> Result<usize, DecodeError> {
        let n = self.uleb(what)?;
        usize::try_from(n).map_err(|_| malformed(&format!("{what} is too large")))
    }
}

/// Decodes one change, bounded by `limits`. Document and bundle chunks, a
/// chunk with bytes after it, and anything over a limit are refused.
pub fn decode_change(bytes: &[u8], limits: &ChangeLimits) -> Result<Change, DecodeError> {
    let mut r = Reader { bytes };
    if r.take(4, "magic bytes")? != MAGIC {
        return Err(malformed("wrong magic bytes"));
    }
    let checksum: [u8; 4] = r
        .take(4, "checksum")?
        .try_into()
        .map_err(|_| malformed("checksum"))?;
    let [kind] = r.take(1, "chunk type")? else {
        return Err(malformed("chunk type"));
    };
    let len = r.length("chunk length")?;
    let body = r.take(len, "chunk")?;
    if !r.bytes.is_empty() {
        return Err(malformed("bytes after the change"));
    }
    let inflated;
    let body = match *kind {
        CHUNK_CHANGE => body,
        CHUNK_COMPRESSED => {
            inflated = inflate(body, limits.bytes)?;
            &inflated[..]
        }
        other => {
            return Err(malformed(&format!(
                "chunk type {other} is not a change (a whole document or a bundle?)"
            )))
        }
    };
    if body.len() > limits.bytes {
        return Err(DecodeError::TooLarge {
            limit: limits.bytes,
        });
    }
    count_ops(body, limits)?;
    let mut chunk = Vec::with_capacity(body.len() + 19);
    chunk.extend_from_slice(&MAGIC);
    chunk.extend_from_slice(&checksum);
    chunk.push(CHUNK_CHANGE);
    let mut n = body.len() as u64;
    loop {
        let byte = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            chunk.push(byte);
            break;
        }
        chunk.push(byte | 0x80);
    }
    chunk.extend_from_slice(body);
    let change = Change::from_bytes(chunk).map_err(|e| DecodeError::Malformed(e.to_string()))?;
    if change.hash().0[..4] != checksum {
        return Err(DecodeError::Checksum);
    }
    Ok(change)
}

/// Inflates a compressed change's body, stopping one byte past `limit`.
fn inflate(body: &[u8], limit: usize) -> Result<Vec<u8>, DecodeError> {
    let mut out = Vec::new();
    flate2::read::DeflateDecoder::new(body)
        .take(limit as u64 + 1)
        .read_to_end(&mut out)
        .map_err(|e| DecodeError::Malformed(format!("deflate: {e}")))?;
    if out.len() > limit {
        return Err(DecodeError::TooLarge { limit });
    }
    Ok(out)
}

/// Reads a change body up to its operation columns and sums the counts
/// they claim, without expanding any run.
fn count_ops(body: &[u8], limits: &ChangeLimits) -> Result<(), DecodeError> {
    let mut r = Reader { bytes: body };
    let deps = r.length("dependency count")?;
    r.take(
        deps.checked_mul(32)
            .ok_or_else(|| malformed("dependency count"))?,
        "dependencies",
    )?;
    let actor = r.length("actor length")?;
    r.take(actor, "actor")?;
    r.uleb("sequence number")?;
    r.uleb("start op")?;
    r.sleb("time")?;
    let message = r.length("message length")?;
    r.take(message, "message")?;
    let others = r.length("actor count")?;
    for _ in 0..others {
        let n = r.length("actor length")?;
        r.take(n, "actor")?;
    }
    let columns = r.length("column count")?;
    let mut layout = Vec::new();
    for _ in 0..columns {
        let spec = u32::try_from(r.uleb("column spec")?).map_err(|_| malformed("column spec"))?;
        let len = r.length("column length")?;
        layout.push((spec, len));
    }
    for (spec, len) in layout {
        if spec & DEFLATE_BIT != 0 {
            return Err(malformed("a change's columns are never compressed"));
        }
        let data = r.take(len, "column data")?;
        if spec == ACTION_COLUMN {
            sum_rle(data, false, "operations", limits.ops)?;
        } else if spec == PRED_GROUP_COLUMN {
            sum_rle(data, true, "predecessors", limits.preds)?;
        }
    }
    Ok(())
}

/// Walks an RLE column of unsigned integers: counts its entries, or with
/// `values` sums them; refuses past `limit`.
fn sum_rle(data: &[u8], values: bool, what: &'static str, limit: u64) -> Result<(), DecodeError> {
    let too_many = || DecodeError::TooManyOps { what, limit };
    let mut r = Reader { bytes: data };
    let mut total: u64 = 0;
    while !r.bytes.is_empty() {
        let count = r.sleb("run length")?;
        let added = if count > 0 {
            let value = r.uleb("run value")?;
            let n = count.unsigned_abs();
            if values {
                n.checked_mul(value).ok_or_else(too_many)?
            } else {
                n
            }
        } else if count < 0 {
            let n = count.unsigned_abs();
            if n > limit {
                return Err(too_many());
            }
            let mut sum: u64 = 0;
            for _ in 0..n {
                let value = r.uleb("literal value")?;
                sum = sum.saturating_add(if values { value } else { 1 });
            }
            sum
        } else {
            let nulls = r.uleb("null run")?;
            if values {
                0
            } else {
                nulls
            }
        };
        total = total.checked_add(added).ok_or_else(too_many)?;
        if total > limit {
            return Err(too_many());
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use automerge::transaction::Transactable;

    fn change_with(ops: usize) -> Change {
        let mut doc = automerge::Automerge::new();
        let mut tx = doc.transaction();
        for i in 0..ops {
            tx.put(automerge::ROOT, format!("k{i}"), i as i64)
                .expect("put");
        }
        tx.commit();
        doc.get_changes(&[]).pop().expect("a change").clone()
    }

    #[test]
    fn honest_changes_decode_to_the_same_change() {
        let mut change = change_with(300);
        let plain = change.raw_bytes().to_vec();
        let decoded = decode_change(&plain, &ChangeLimits::STANDARD).expect("decodes");
        assert_eq!(decoded.hash(), change.hash());
        let compressed = change.bytes().to_vec();
        assert_ne!(compressed, plain, "300 operations are worth compressing");
        let decoded = decode_change(&compressed, &ChangeLimits::STANDARD).expect("decodes");
        assert_eq!(decoded.hash(), change.hash());
    }

    #[test]
    fn a_compression_bomb_stops_at_the_limit() {
        // A change chunk whose compressed body inflates to 64 MiB of zeros.
        let mut deflated = Vec::new();
        let mut encoder =
            flate2::write::DeflateEncoder::new(&mut deflated, flate2::Compression::best());
        let zeros = vec![0u8; 1024 * 1024];
        for _ in 0..64 {
            std::io::Write::write_all(&mut encoder, &zeros).expect("deflate");
        }
        encoder.finish().expect("finish");
        let mut bomb = MAGIC.to_vec();
        bomb.extend_from_slice(&[0, 0, 0, 0, CHUNK_COMPRESSED]);
        let mut n = deflated.len();
        while n >= 0x80 {
            bomb.push((n as u8 & 0x7f) | 0x80);
            n >>= 7;
        }
        bomb.push(n as u8);
        bomb.extend_from_slice(&deflated);
        assert!(bomb.len() < 200 * 1024);
        let limits = ChangeLimits {
            bytes: 1024 * 1024,
            ..ChangeLimits::STANDARD
        };
        assert_eq!(
            decode_change(&bomb, &limits).map(|c| c.hash()),
            Err(DecodeError::TooLarge { limit: 1024 * 1024 })
        );
    }

    #[test]
    fn operation_counts_are_bounded_before_expansion() {
        let change = change_with(50);
        let limits = ChangeLimits {
            ops: 49,
            ..ChangeLimits::STANDARD
        };
        assert!(matches!(
            decode_change(change.raw_bytes(), &limits),
            Err(DecodeError::TooManyOps {
                what: "operations",
                ..
            })
        ));
        assert!(decode_change(
            change.raw_bytes(),
            &ChangeLimits {
                ops: 50,
                ..ChangeLimits::STANDARD
            }
        )
        .is_ok());
    }

    #[test]
    fn a_wrong_checksum_and_other_chunks_are_refused() {
        let change = change_with(3);
        let mut bytes = change.raw_bytes().to_vec();
        bytes[4] ^= 0xff;
        assert_eq!(
            decode_change(&bytes, &ChangeLimits::STANDARD).map(|c| c.hash()),
            Err(DecodeError::Checksum)
        );
        let mut doc = automerge::Automerge::new();
        doc.apply_changes([change.clone()]).expect("apply");
        assert!(matches!(
            decode_change(&doc.save(), &ChangeLimits::STANDARD),
            Err(DecodeError::Malformed(_))
        ));
        let mut trailing = change.raw_bytes().to_vec();
        trailing.push(0);
        assert!(decode_change(&trailing, &ChangeLimits::STANDARD).is_err());
        for cut in [0, 3, 8, 12, bytes.len() - 1] {
            assert!(decode_change(&change.raw_bytes()[..cut], &ChangeLimits::STANDARD).is_err());
        }
    }
}

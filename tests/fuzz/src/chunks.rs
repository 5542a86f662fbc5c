//! Fuzz inputs as Automerge chunks one after another, the way a push or a
//! pulled page carries changes: each chunk's own header (magic, checksum,
//! type, LEB128 length) says where the next one starts, so a seed file is
//! just real change bytes back to back, and a mutated length only moves
//! the cut (a length past the end takes the rest).
//!
//! The header's checksum is the first four bytes of the change's SHA-256,
//! which a mutation almost never keeps right: [`with_checksum`] recomputes
//! it, so the fuzzer gets past the check into automerge and the judge.

use std::io::Read;

use ring::digest;

const MAGIC_LEN: usize = 4;
const CHECKSUM_LEN: usize = 4;
const CHUNK_CHANGE: u8 = 1;
const CHUNK_COMPRESSED: u8 = 2;
/// Most bytes inflated to recompute a compressed change's checksum; a
/// larger one keeps the checksum it came with.
const INFLATE_LIMIT: u64 = 1024 * 1024;

/// Reads an unsigned LEB128 number at the start of `bytes`: its value and
/// its length, or `None` if it does not end or does not fit.
fn uleb(bytes: &[u8]) -> Option<(u64, usize)> {
    let mut value: u64 = 0;
    for (i, byte) in bytes.iter().enumerate().take(10) {
        let part = u64::from(byte & 0x7f);
        value |= part.checked_shl(7 * i as u32)?;
        if byte & 0x80 == 0 {
            return Some((value, i + 1));
        }
    }
    None
}

fn push_uleb(out: &mut Vec<u8>, mut n: u64) {
    loop {
        let byte = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

/// The header of a chunk: where its body starts and how long it says it is.
fn header(chunk: &[u8]) -> Option<(u8, usize, u64)> {
    let kind = *chunk.get(MAGIC_LEN + CHECKSUM_LEN)?;
    let start = MAGIC_LEN + CHECKSUM_LEN + 1;
    let (len, n) = uleb(chunk.get(start..)?)?;
    Some((kind, start + n, len))
}

/// Cuts `bytes` into chunks by their headers.
pub fn split(bytes: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    let mut rest = bytes;
    while !rest.is_empty() {
        let end = match header(rest) {
            Some((_, body, len)) => usize::try_from(len)
                .ok()
                .and_then(|len| body.checked_add(len))
                .filter(|end| *end <= rest.len())
                .unwrap_or(rest.len()),
            None => rest.len(),
        };
        let (chunk, tail) = rest.split_at(end);
        out.push(chunk);
        rest = tail;
    }
    out
}

/// The chunk with the checksum its contents call for, when it is a change
/// (plain, or compressed and small enough to inflate here); otherwise as
/// it came.
pub fn with_checksum(chunk: &[u8]) -> Vec<u8> {
    let mut out = chunk.to_vec();
    let Some((kind, start, len)) = header(chunk) else {
        return out;
    };
    let Some(body) = usize::try_from(len)
        .ok()
        .and_then(|len| chunk.get(start..start.checked_add(len)?))
    else {
        return out;
    };
    let inflated;
    let body = match kind {
        CHUNK_CHANGE => body,
        CHUNK_COMPRESSED => {
            let mut buf = Vec::new();
            let read = flate2::read::DeflateDecoder::new(body)
                .take(INFLATE_LIMIT + 1)
                .read_to_end(&mut buf);
            if read.is_err() || buf.len() as u64 > INFLATE_LIMIT {
                return out;
            }
            inflated = buf;
            &inflated[..]
        }
        _ => return out,
    };
    out[MAGIC_LEN..MAGIC_LEN + CHECKSUM_LEN].copy_from_slice(&checksum(body));
    out
}

/// The checksum of a change body: automerge hashes the chunk type, the
/// body's length and the body.
pub fn checksum(body: &[u8]) -> [u8; 4] {
    let mut ctx = digest::Context::new(&digest::SHA256);
    let mut head = vec![CHUNK_CHANGE];
    push_uleb(&mut head, body.len() as u64);
    ctx.update(&head);
    ctx.update(body);
    let hash = ctx.finish();
    let mut out = [0u8; 4];
    out.copy_from_slice(&hash.as_ref()[..4]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use automerge::transaction::Transactable;

    fn changes() -> Vec<automerge::Change> {
        let mut doc = automerge::Automerge::new();
        for round in 0..3i64 {
            let mut tx = doc.transaction();
            for i in 0..200 {
                tx.put(automerge::ROOT, format!("k{i}"), round * i)
                    .expect("put");
            }
            tx.commit();
        }
        doc.get_changes(&[])
    }

    #[test]
    fn back_to_back_changes_split_where_they_end() {
        let mut changes = changes();
        let mut bytes = Vec::new();
        for c in &mut changes {
            bytes.extend_from_slice(c.bytes().as_ref());
        }
        let cut = split(&bytes);
        assert_eq!(cut.len(), changes.len());
        for (chunk, change) in cut.iter().zip(&mut changes) {
            assert_eq!(*chunk, change.bytes().as_ref());
        }
        assert_eq!(split(&bytes[..bytes.len() - 1]).len(), changes.len());
        assert_eq!(split(&[1, 2, 3]), vec![&[1u8, 2, 3][..]]);
    }

    #[test]
    fn the_checksum_is_the_one_automerge_computes() {
        for mut change in changes() {
            let raw = change.raw_bytes().to_vec();
            let compressed = change.bytes().to_vec();
            assert_ne!(raw, compressed, "worth compressing");
            for honest in [raw, compressed] {
                let mut broken = honest.clone();
                broken[MAGIC_LEN] ^= 0xff;
                assert_eq!(with_checksum(&broken), honest);
            }
        }
    }
}

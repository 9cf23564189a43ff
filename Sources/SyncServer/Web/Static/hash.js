// The content identity the server asks for before an upload (the block hash, as the server's
// ContentIdentity defines it): SHA-256 of each block, then SHA-256 of the concatenated block
// digests (hex). Each block's digest (base64, as S3's x-amz-checksum-sha256 header wants it) is
// what its multipart part (or a one-block file's single PUT) is signed with. A block is hashed
// by the browser's WebCrypto where the page has it (read whole, a few blocks at once, about
// 64 MiB held), else by the script's own SHA-256 in slices: a file is never held whole.

const K = new Int32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);

/** SHA-256 (FIPS 180-4) over data given in pieces. */
export class Sha256 {
  constructor() {
    this.h = new Int32Array([0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]);
    this.w = new Int32Array(64);
    this.pending = new Uint8Array(64);
    this.pendingLength = 0;
    this.length = 0;
  }

  /** Adds bytes (a Uint8Array). */
  update(data) {
    let offset = 0;
    this.length += data.length;
    if (this.pendingLength > 0) {
      const take = Math.min(64 - this.pendingLength, data.length);
      this.pending.set(data.subarray(0, take), this.pendingLength);
      this.pendingLength += take;
      offset = take;
      if (this.pendingLength < 64) return;
      this.block(this.pending, 0);
      this.pendingLength = 0;
    }
    for (; offset + 64 <= data.length; offset += 64) this.block(data, offset);
    if (offset < data.length) {
      this.pending.set(data.subarray(offset), 0);
      this.pendingLength = data.length - offset;
    }
  }

  /** The digest as 64 lower-case hex digits; the object is spent afterwards. */
  hex() {
    return Array.from(this.digest(), (byte) => byte.toString(16).padStart(2, '0')).join('');
  }

  /** The digest as 32 bytes; the object is spent afterwards. */
  digest() {
    const bits = this.length * 8;
    const tail = new Uint8Array(this.pendingLength < 56 ? 64 : 128);
    tail.set(this.pending.subarray(0, this.pendingLength));
    tail[this.pendingLength] = 0x80;
    const view = new DataView(tail.buffer);
    // The length in bits, big-endian in 64 bits (JavaScript's bit operators are 32-bit).
    view.setUint32(tail.length - 8, Math.floor(bits / 0x100000000));
    view.setUint32(tail.length - 4, bits >>> 0);
    for (let offset = 0; offset < tail.length; offset += 64) this.block(tail, offset);
    const out = new Uint8Array(32);
    const words = new DataView(out.buffer);
    this.h.forEach((word, i) => words.setInt32(4 * i, word));
    return out;
  }

  block(data, offset) {
    const w = this.w;
    const h = this.h;
    for (let t = 0; t < 16; t++) {
      const i = offset + 4 * t;
      w[t] = (data[i] << 24) | (data[i + 1] << 16) | (data[i + 2] << 8) | data[i + 3];
    }
    for (let t = 16; t < 64; t++) {
      const x = w[t - 15];
      const y = w[t - 2];
      const s0 = ((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3);
      const s1 = ((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10);
      w[t] = (w[t - 16] + s0 + w[t - 7] + s1) | 0;
    }
    let a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], hh = h[7];
    for (let t = 0; t < 64; t++) {
      const s1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
      const t1 = (hh + s1 + ((e & f) ^ (~e & g)) + K[t] + w[t]) | 0;
      const s0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
      const t2 = (s0 + ((a & b) ^ (a & c) ^ (b & c))) | 0;
      hh = g; g = f; f = e; e = (d + t1) | 0; d = c; c = b; b = a; a = (t1 + t2) | 0;
    }
    h[0] = (h[0] + a) | 0; h[1] = (h[1] + b) | 0; h[2] = (h[2] + c) | 0; h[3] = (h[3] + d) | 0;
    h[4] = (h[4] + e) | 0; h[5] = (h[5] + f) | 0; h[6] = (h[6] + g) | 0; h[7] = (h[7] + hh) | 0;
  }
}

/** 8 MiB, doubled until the file needs at most 10,000 blocks (as ContentIdentity.blockSize). */
export function blockSizeFor(size) {
  let block = 8 * 1024 * 1024;
  while (size > block * 10000) block *= 2;
  return block;
}

function base64(bytes) {
  return btoa(String.fromCharCode(...bytes));
}

/**
 * SHA-256 of bytes start..end of a blob in this script (read in 8 MiB slices): for pages
 * without WebCrypto (a plain-HTTP origin other than localhost is not a secure context).
 */
export async function scriptDigest(blob, start, end) {
  const slice = 8 << 20;
  const hash = new Sha256();
  for (let offset = start; offset < end; offset += slice) {
    hash.update(new Uint8Array(await blob.slice(offset, Math.min(end, offset + slice)).arrayBuffer()));
  }
  return hash.digest();
}

/** Blocks up to this size are read whole and hashed by the browser's WebCrypto. */
const WEB_CRYPTO_BLOCK = 64 << 20;

/**
 * SHA-256 of bytes start..end of a blob by the browser's own WebCrypto (native, many times
 * faster than a script), when the page has it and the block is small enough to hold whole.
 */
export async function webCryptoDigest(blob, start, end) {
  if (!globalThis.crypto?.subtle || end - start > WEB_CRYPTO_BLOCK) return scriptDigest(blob, start, end);
  return new Uint8Array(await crypto.subtle.digest('SHA-256', await blob.slice(start, end).arrayBuffer()));
}

/** Bytes of blocks read at once (WebCrypto hashes a copy: about twice this is held). */
const IN_FLIGHT = 32 << 20;

/**
 * The content identity of a File or Blob; `progress(fraction)` as blocks finish. Resolves to
 * `{ identity, blocks }`: the hex identity and each block's base64 SHA-256. Blocks are
 * independent, so several are hashed at once (WebCrypto works off the page's thread), at most
 * 32 MiB of them read at a time; `digest` is the block hash to use (tests pass `scriptDigest`).
 * The first failure rejects, and the other blocks stop being read and reported.
 */
export async function contentIdentityOfBlob(blob, progress, digest = webCryptoDigest) {
  const blockSize = blockSizeFor(blob.size);
  const count = Math.ceil(blob.size / blockSize);
  const digests = new Array(count);
  const width = Math.max(1, Math.min(4, count, Math.floor(IN_FLIGHT / blockSize)));
  let next = 0;
  let hashed = 0;
  let failed = false;
  async function worker() {
    while (next < count && !failed) {
      const index = next++;
      const start = index * blockSize;
      const end = Math.min(blob.size, start + blockSize);
      try {
        digests[index] = await digest(blob, start, end);
      } catch (error) {
        failed = true;
        throw error;
      }
      if (failed) return;
      hashed += end - start;
      progress?.(hashed / blob.size);
    }
  }
  await Promise.all(Array.from({ length: width }, worker));
  const outer = new Sha256();
  for (const block of digests) outer.update(block);
  return { identity: outer.hex(), blocks: digests.map(base64) };
}

/** Base64 SHA-256 of nothing: the one PUT of an empty file carries it. */
export const EMPTY_SHA256 = base64(new Sha256().digest());

// Uploads from the browser straight to S3: the server signs, the bytes never pass through it.
// A file of one block is one presigned PUT; larger ones a multipart upload with one part per
// block, whose part URLs are asked for as the parts come up, each part's SHA-256 signed in so
// that S3 refuses any other bytes (the server derives the file's identity from those digests).
import { EMPTY_SHA256, contentIdentityOfBlob } from './hash.js';

/** An upload that failed, with what the person should read. */
export class UploadError extends Error {}

const PARTS_AT_ONCE = 5;

/** One PUT through XMLHttpRequest (fetch has no upload progress); resolves to the ETag. */
function put(url, headers, body, onProgress) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('PUT', url);
    for (const [name, value] of Object.entries(headers || {})) xhr.setRequestHeader(name, value);
    xhr.upload.onprogress = (event) => onProgress(event.loaded);
    xhr.onload = () => {
      if (xhr.status >= 200 && xhr.status < 300) resolve(xhr.getResponseHeader('ETag') || '');
      else reject(new UploadError(`the storage refused the bytes (HTTP ${xhr.status})`));
    };
    xhr.onerror = () => reject(new UploadError('the storage could not be reached (network or CORS: see syncd-server.toml, s3.manage_cors)'));
    xhr.send(body);
  });
}

/**
 * Uploads `file` to `path`. `api(method, path, body)` calls the server's JSON API;
 * `report({phase, fraction})` follows the work. Resolves to the file's new metadata.
 */
export async function uploadFile({ api, file, path, baseRevision, report }) {
  report({ phase: 'checking', fraction: 0 });
  const { identity, blocks } = await contentIdentityOfBlob(file, (fraction) => report({ phase: 'checking', fraction }));
  const begun = await api('POST', '/uploads', {
    path, size: file.size, sha256: identity, contentType: file.type || undefined, baseRevision: baseRevision ?? undefined,
    blockSha256: blocks.length <= 1 ? (blocks[0] ?? EMPTY_SHA256) : undefined,
  });
  if (begun.mode === 'stored') {
    report({ phase: 'done', fraction: 1 });
    return begun.file;
  }
  try {
    let parts = [];
    if (begun.mode === 'single') {
      await put(begun.url, begun.headers, file, (sent) => report({ phase: 'uploading', fraction: file.size ? sent / file.size : 1 }));
    } else {
      parts = await uploadParts({ api, file, begun, blocks, report });
    }
    report({ phase: 'finishing', fraction: 1 });
    const done = await api('POST', `/uploads/${encodeURIComponent(begun.uploadId)}/complete`, { parts });
    report({ phase: 'done', fraction: 1 });
    return done;
  } catch (error) {
    // Nothing half-done is left behind: S3 drops the parts, the server the upload.
    api('DELETE', `/uploads/${encodeURIComponent(begun.uploadId)}`).catch(() => {});
    throw error;
  }
}

async function uploadParts({ api, file, begun, blocks, report }) {
  const { partSize, partCount, uploadId } = begun;
  const sent = new Array(partCount).fill(0);
  const done = [];
  let next = 1;
  const progress = () => report({ phase: 'uploading', fraction: sent.reduce((a, b) => a + b, 0) / file.size });
  async function worker() {
    while (next <= partCount) {
      const number = next++;
      const start = (number - 1) * partSize;
      const part = file.slice(start, Math.min(file.size, start + partSize));
      const checksum = blocks[number - 1];
      if (!checksum || part.size === 0) throw new UploadError('the server cut the file into other parts than its blocks');
      const signed = await api('POST', `/uploads/${encodeURIComponent(uploadId)}/parts`, {
        partNumbers: [number], sha256: { [number]: checksum },
      });
      const etag = await put(signed.urls[number], signed.headers[number], part, (bytes) => {
        sent[number - 1] = bytes;
        progress();
      });
      if (!etag) throw new UploadError('the storage does not let the browser read ETags (CORS ExposeHeaders)');
      sent[number - 1] = part.size;
      done.push({ partNumber: number, etag, checksumSHA256: checksum });
    }
  }
  await Promise.all(Array.from({ length: Math.min(PARTS_AT_ONCE, partCount) }, worker));
  return done.sort((a, b) => a.partNumber - b.partNumber);
}

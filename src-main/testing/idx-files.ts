import { gzipSync } from 'node:zlib';
import { dataBytes, IDX_IMAGES_MAGIC, IDX_LABELS_MAGIC, type IdxFile } from '../data/idx';

/** Writes an idx file for tests; gzipped when asked. */
export function encodeIdx(content: IdxFile, options: { gzip?: boolean } = {}): Uint8Array {
  const dims = content.kind === 'images' ? [content.count, content.height, content.width] : [content.count];
  const expected = dataBytes(content);
  if (content.data.length !== expected) {
    throw new RangeError(
      `encodeIdx: data has ${content.data.length} bytes, ${content.kind} of [${dims.join(', ')}] needs ${expected}`,
    );
  }
  const headerBytes = 4 + 4 * dims.length;
  const out = new Uint8Array(headerBytes + expected);
  const view = new DataView(out.buffer);
  view.setUint32(0, content.kind === 'images' ? IDX_IMAGES_MAGIC : IDX_LABELS_MAGIC, false);
  dims.forEach((size, i) => view.setUint32(4 + 4 * i, size, false));
  out.set(content.data, headerBytes);
  return options.gzip ? new Uint8Array(gzipSync(out)) : out;
}

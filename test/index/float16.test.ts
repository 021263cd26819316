import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeFloat16, encodeFloat16, fromHalfBits, toHalfBits } from '../../src/engine/index/float16';

test('every finite half value survives decode → encode unchanged', () => {
  for (let h = 0; h < 65536; h++) {
    const exp = (h >>> 10) & 0x1f;
    if (exp === 0x1f && (h & 0x3ff) !== 0) continue; // NaN payloads need not round-trip bit-exactly
    assert.equal(toHalfBits(fromHalfBits(h)), h, `bits 0x${h.toString(16)}`);
  }
});

test('known values and rounding to nearest, ties to even', () => {
  assert.equal(fromHalfBits(toHalfBits(1)), 1);
  assert.equal(fromHalfBits(toHalfBits(-2.5)), -2.5);
  assert.equal(fromHalfBits(toHalfBits(65504)), 65504); // largest half
  assert.equal(fromHalfBits(toHalfBits(1e6)), Infinity);
  assert.equal(fromHalfBits(toHalfBits(2 ** -24)), 2 ** -24); // smallest subnormal
  assert.equal(fromHalfBits(toHalfBits(2 ** -26)), 0);
  // 1 + 2^-11 lies exactly between 1 and 1 + 2^-10: ties go to the even mantissa (1).
  assert.equal(fromHalfBits(toHalfBits(1 + 2 ** -11)), 1);
  // 1 + 3·2^-11 lies between 1 + 2^-10 (odd) and 1 + 2^-9 (even): rounds up to the even one.
  assert.equal(fromHalfBits(toHalfBits(1 + 3 * 2 ** -11)), 1 + 2 ** -9);
  assert.ok(Number.isNaN(fromHalfBits(toHalfBits(NaN))));
});

test('float16 arrays round-trip embeddings within half precision', () => {
  const values = new Float32Array(4096);
  let seed = 7;
  for (let i = 0; i < values.length; i++) {
    seed = (seed * 1103515245 + 12345) >>> 0;
    values[i] = (seed / 2 ** 32 - 0.5) * 0.3; // the range of unit-vector components
  }
  const back = decodeFloat16(encodeFloat16(values));
  for (let i = 0; i < values.length; i++) {
    const tolerance = Math.max(Math.abs(values[i]!) * 2 ** -11, 2 ** -25);
    assert.ok(Math.abs(back[i]! - values[i]!) <= tolerance, `${values[i]} → ${back[i]}`);
  }
});

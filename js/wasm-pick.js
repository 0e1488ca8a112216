// Which of the package's two WebAssembly modules this JavaScript engine runs: the default one is
// built with SIMD128 (ChaCha20 four blocks at a time, vectorised Poly1305 and SHA-2; every
// current browser, Node >= 16.4), the other without, for engines that lack SIMD (Safari before
// 16.4). Same engine, same JS glue (scripts/build-pkg.sh checks); only speed differs.

/** A module whose one function uses SIMD (v128.const, i8x16.popcnt): valid only with SIMD. */
const SIMD_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0, 65, 0, 253, 15, 253, 98, 11,
]);

export const WASM_SIMD = 'sshgate_wasm_bg.wasm';
export const WASM_NO_SIMD = 'sshgate_wasm_no_simd_bg.wasm';

/** Whether `validate` (WebAssembly.validate by default) accepts SIMD. */
export function simdSupported(validate = (b) => WebAssembly.validate(b)) {
  try {
    return validate(SIMD_PROBE) === true;
  } catch {
    return false;
  }
}

/** The module file for this engine. */
export function wasmFile(validate) {
  return simdSupported(validate) ? WASM_SIMD : WASM_NO_SIMD;
}

/** Its URL next to this file; `new URL(literal, import.meta.url)` so bundlers ship both. */
export function wasmUrl(validate) {
  return simdSupported(validate)
    ? new URL('./sshgate_wasm_bg.wasm', import.meta.url)
    : new URL('./sshgate_wasm_no_simd_bg.wasm', import.meta.url);
}

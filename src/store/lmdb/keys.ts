/**
 * Helpers for lmdb-js array keys (ordered-binary encoding). An array key encodes its elements
 * in order, separated by a 0 byte; numbers sort before strings, strings sort by UTF-8 bytes.
 * So `[app, user, ...]` keys of one owner are contiguous, and `[...prefix]` ..
 * `[...prefix, KEY_MAX]` bounds exactly the keys that extend `prefix` by one or more elements.
 */
import { ParleyError } from '../../core/errors.js'

/**
 * Sorts after every number and string in the same position of an array key (a raw 0xff byte,
 * which no UTF-8 string or number encoding starts with). Used only as a range bound, never stored.
 */
export const KEY_MAX = new Uint8Array([0xff])

/**
 * Longest key element, in UTF-16 units. Keys hold at most three text elements, so this keeps
 * every key under LMDB's 1,978-byte limit; a longer element would otherwise throw inside a
 * write batch, after part of a commit was queued.
 */
export const MAX_KEY_TEXT = 256

/**
 * Returns `s` if it can be a key element. A NUL character would be written raw into long
 * strings and read as the element separator, letting one owner's prefix reach another's
 * keys, so it is refused with INVALID_PARAMS (70402), as is an element over MAX_KEY_TEXT.
 */
export function keyText(s: string, what: string): string {
  if (s.includes('\0')) throw new ParleyError('INVALID_PARAMS', `${what} contains a NUL character`)
  if (s.length > MAX_KEY_TEXT) throw new ParleyError('INVALID_PARAMS', `${what} is longer than ${MAX_KEY_TEXT} characters`)
  return s
}

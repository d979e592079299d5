"""The names a language gives every program, its keywords and its globals: never a project's
own, so checks of the names an answer uses (``tasks.name_growth``) and the eval's item
builder (``evaluation.crossfile_items``) leave them alone."""

from __future__ import annotations

import builtins
import keyword

_JS_KEYWORDS = """await break case catch class const continue default delete do else export
extends false finally for function if import in instanceof let new null return super switch this
throw true try typeof undefined var void while yield from of async"""
#: ECMAScript's global objects and functions, and those Node.js and browsers add.
_JS_GLOBALS = """globalThis Infinity NaN undefined eval isFinite isNaN parseFloat parseInt
decodeURI decodeURIComponent encodeURI encodeURIComponent escape unescape Object Function Boolean
Symbol Error AggregateError EvalError RangeError ReferenceError SyntaxError TypeError URIError
Number BigInt Math Date String RegExp Array Int8Array Uint8Array Uint8ClampedArray Int16Array
Uint16Array Int32Array Uint32Array Float32Array Float64Array BigInt64Array BigUint64Array Map Set
WeakMap WeakSet WeakRef FinalizationRegistry ArrayBuffer SharedArrayBuffer DataView Atomics JSON
Promise Reflect Proxy Intl console process require module exports Buffer setTimeout
clearTimeout setInterval clearInterval setImmediate clearImmediate queueMicrotask
structuredClone URL URLSearchParams TextEncoder TextDecoder AbortController AbortSignal Event
EventTarget fetch Headers Request Response FormData Blob File ReadableStream WritableStream
TransformStream window document navigator location self XMLHttpRequest __dirname __filename"""

KEYWORDS: dict[str, frozenset[str]] = {
    "python": frozenset(keyword.kwlist),
    "javascript": frozenset(_JS_KEYWORDS.split()),
    "typescript": frozenset(_JS_KEYWORDS.split()),
}
GLOBALS: dict[str, frozenset[str]] = {
    "python": frozenset(dir(builtins)),
    "javascript": frozenset(_JS_GLOBALS.split()),
    "typescript": frozenset(_JS_GLOBALS.split()),
}

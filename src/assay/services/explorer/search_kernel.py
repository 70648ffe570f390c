# mypy: disable-error-code="assignment, return-value, no-any-return"
# (numba code: numpy scalar types flow through int variables, as numba wants them)
"""Compiled (numba) kernels of the explorer's search index (`explorer.search` owns the format and the rules).

Text is handled as lower-cased UTF-8 bytes. A *word byte* is `a-z`, `0-9` or any byte >= 0x80 (so every
non-ASCII character is a word character); a *token* is a maximal run of word bytes, a *separator* a maximal
run of other bytes. For every token the index holds the rows containing it; for every two consecutive
tokens whose separator is at most SEP_MAX bytes, a *boundary key*: the last K bytes of the first token, the
separator, the first K bytes of the second (`show do` in "... show dogs ..."), with the rows containing it.
Where a token has no such neighbour on one side — at the start or end of the row's text, or across a
separator longer than SEP_MAX — an *edge key* stands for that side: the separator (its last SEP_MAX bytes
before a token, its first SEP_MAX after one) and the first K bytes of the token after it (a *left edge*, no
left part) or the last K bytes of the token before it (a *right edge*, no right part). So every token's
neighbouring separator is in some key with it, and a term "separator + piece" or "piece + separator" is a
set of key lookups.

Compiled code is cached on disk (numba's ``cache=True``), so only the first run on a machine compiles.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.core import cgutils
from numba.extending import intrinsic

from assay.services.explorer.tokens import SEP_MAX, K

_FNV_OFFSET = np.uint64(0xCBF29CE484222325)
_FNV_PRIME = np.uint64(0x100000001B3)
_WORD = np.array([(97 <= b <= 122) or (48 <= b <= 57) or b >= 128 for b in range(256)], np.bool_)  # word bytes
PREFETCH = 12  # how many entries ahead a lookup's slot is prefetched


def _prefetch_typed(typingctx: Any, arr: Any, idx: Any) -> Any:
    """Ask the processor to start loading row `idx` of the 2-D array `arr` into its cache (LLVM's prefetch,
    for reading, high locality), so a lookup a few entries later does not wait for memory."""
    sig = types.void(arr, idx)

    def codegen(context: Any, builder: Any, signature: Any, args: Any) -> Any:
        aryty, idxty = signature.args
        ary = context.make_array(aryty)(context, builder, args[0])
        i = context.cast(builder, args[1], idxty, types.intp)
        unpack: Any = cgutils.unpack_tuple
        item: Any = cgutils.get_item_pointer2
        ptr = item(context, builder, data=ary.data, shape=unpack(builder, ary.shape),
                   strides=unpack(builder, ary.strides), layout=aryty.layout,
                   inds=[i, context.get_constant(types.intp, 0)], wraparound=False, boundscheck=False)
        i8p = ir.IntType(8).as_pointer()
        declare: Any = cgutils.get_or_insert_function
        fn = declare(builder.module, ir.FunctionType(ir.VoidType(), [i8p, ir.IntType(32), ir.IntType(32),
                                                                     ir.IntType(32)]), "llvm.prefetch.p0")
        i32 = ir.IntType(32)
        builder.call(fn, [builder.bitcast(ptr, i8p), i32(0), i32(3), i32(1)])
        return context.get_dummy_value()

    return sig, codegen


_prefetch: Any = intrinsic(_prefetch_typed)


@njit(cache=True, inline="always")
def is_word(b: int) -> bool:
    return _WORD[b]


@njit(cache=True, inline="always")
def _hash(buf: np.ndarray, a: int, b: int) -> tuple[np.uint64, np.uint64]:
    """The two independent hashes (64 + 32 bits, the first never 0) of bytes buf[a:b]."""
    h = _FNV_OFFSET
    g = np.uint64(0x9E3779B1)
    for i in range(a, b):
        c = np.uint64(buf[i])
        h = (h ^ c) * _FNV_PRIME
        g = (g * np.uint64(31) + c + np.uint64(1)) & np.uint64(0xFFFFFFFF)
    h ^= h >> np.uint64(29)
    if h == 0:
        h = np.uint64(1)
    return h, g


@njit(cache=True, inline="always")
def _intern(buf: np.ndarray, a: int, b: int, h: np.uint64, g: np.uint64, slots: np.ndarray, vbytes: np.ndarray,
            voffs: np.ndarray, state: np.ndarray) -> int:
    """The slot of bytes buf[a:b] (hashes h, g from `_hash`; its id is in the slot's low 32 bits of column
    1), added to the table and the vocabulary when new; -1 when the table is too full, -2 when the
    vocabulary buffer (or its offsets) is too small (the caller grows them and redoes). An entry is known by
    its two hashes (a false merge needs both to collide), kept in one 32-byte slot with its id and the
    serial number of the last row that had it (column 2), so a lookup touches one cache line."""
    mask = len(slots) - 1
    i = np.int64(h & np.uint64(mask))
    while True:
        k = slots[i, 0]
        if k == 0:
            break
        if k == h and (slots[i, 1] >> np.uint64(32)) == g:
            return i
        i = (i + 1) & mask
    count, vlen = state[0], state[1]
    n = b - a
    if (count + 1) * 10 > len(slots) * 7:
        return -1
    if vlen + n > len(vbytes) or count + 2 > len(voffs):
        return -2
    vbytes[vlen:vlen + n] = buf[a:b]
    slots[i, 0] = h
    slots[i, 1] = (g << np.uint64(32)) | np.uint64(count)
    slots[i, 2] = 0
    voffs[count + 1] = vlen + n
    state[0] = count + 1
    state[1] = vlen + n
    return i


@njit(cache=True, inline="always")
def _append_strings(data: np.ndarray, offs: np.ndarray, s: int, e: int, scratch: np.ndarray, ln: int,
                    first: bool) -> tuple[int, bool]:
    """Append strings s:e of (data, offs) to scratch[:ln], each after a '\n' unless it is the row's first.
    Returns the new length and whether the row is still empty."""
    for j in range(s, e):
        if not first:
            scratch[ln] = 10
            ln += 1
        first = False
        a, b = offs[j], offs[j + 1]
        scratch[ln:ln + b - a] = data[a:b]
        ln += b - a
    return ln, first


@njit(cache=True, inline="always")
def _join_row(mdata: np.ndarray, moffs: np.ndarray, ms: int, me: int, cdata: np.ndarray, coffs: np.ndarray,
              cs: int, ce: int, scratch: np.ndarray) -> int:
    """Copy one row's text into scratch, joined as the DuckDB expression joins it: its message strings
    ms:me then its completion strings cs:ce, separated by '\n'. Returns its length."""
    ln, first = _append_strings(mdata, moffs, ms, me, scratch, 0, True)
    ln, _ = _append_strings(cdata, coffs, cs, ce, scratch, ln, first)
    return ln


@njit(cache=True, nogil=True)
def contains_rows(mdata: np.ndarray, moffs: np.ndarray, mrs: np.ndarray, mre: np.ndarray, cdata: np.ndarray,
                  coffs: np.ndarray, crs: np.ndarray, cre: np.ndarray, nrows: int, needles: np.ndarray,
                  noffs: np.ndarray, scratch: np.ndarray, out: np.ndarray) -> None:
    """out[r] = whether row r's text (joined and laid out as in `scan_batch`, already lower-cased) contains
    every needle (needle i is needles[noffs[i]:noffs[i+1]], non-empty) as a substring of its bytes."""
    for r in range(nrows):
        ln = _join_row(mdata, moffs, mrs[r], mre[r], cdata, coffs, crs[r], cre[r], scratch)
        ok = True
        for t in range(len(noffs) - 1):
            a, n = noffs[t], noffs[t + 1] - noffs[t]
            c0 = needles[a]
            found = False
            for i in range(ln - n + 1):
                if scratch[i] == c0:
                    k = 1
                    while k < n and scratch[i + k] == needles[a + k]:
                        k += 1
                    if k == n:
                        found = True
                        break
            if not found:
                ok = False
                break
        out[r] = ok


@njit(cache=True, inline="always")
def _add(items: np.ndarray, m: int, a: int, b: int) -> int:
    """Record the entry buf[a:b] as item m (its bounds); returns m + 1."""
    items[m, 0] = a
    items[m, 1] = b
    return m + 1


@njit(cache=True, inline="always")
def _row_items(scratch: np.ndarray, ln: int, items: np.ndarray) -> int:
    """The bounds of every entry (tokens, boundary and edge keys) of one row's text scratch[:ln], in text
    order, into items[:, 0:2]. Returns how many."""
    m = 0
    i = 0
    ps, pe = -1, -1  # the previous token
    while i < ln:
        if is_word(scratch[i]):
            j = i
            while j < ln and is_word(scratch[j]):
                j += 1
            m = _add(items, m, i, j)
            if pe >= 0 and i - pe <= SEP_MAX:
                m = _add(items, m, max(ps, pe - K), min(j, i + K))
            else:
                if pe >= 0:  # a long separator: the previous token's right edge key
                    m = _add(items, m, max(ps, pe - K), pe + SEP_MAX)
                if i > 0:  # the row's leading separator, or a long one: this token's left edge key
                    m = _add(items, m, max(0, i - SEP_MAX), min(j, i + K))
            ps, pe = i, j
            i = j
        else:
            i += 1
    if 0 <= pe < ln:  # the row's trailing separator: the last token's right edge key
        m = _add(items, m, max(ps, pe - K), min(ln, pe + SEP_MAX))
    return m


@njit(cache=True, nogil=True)
def scan_batch(mdata: np.ndarray, moffs: np.ndarray, mrs: np.ndarray, mre: np.ndarray, cdata: np.ndarray,
               coffs: np.ndarray, crs: np.ndarray, cre: np.ndarray, nrows: int, slots: np.ndarray, vbytes: np.ndarray,
               voffs: np.ndarray, state: np.ndarray, out_ids: np.ndarray,
               out_rows: np.ndarray, scratch: np.ndarray, items: np.ndarray, hashes: np.ndarray, part: int,
               parts: int, hot: np.ndarray) -> int:
    """Index one batch of rows. Row r's text is its message strings then its completion strings (string j
    of the messages is mdata[moffs[j]:moffs[j+1]], row r's strings are mrs[r]:mre[r]; the same for
    completions), joined by newlines, already lower-cased. Writes the distinct entry ids of every row, row
    after row (in order of first occurrence within a row), to out_ids / out_rows (row within the batch).
    Returns how many, or -1 / -2 (see `_intern`) when the caller must grow the table / vocabulary and call
    again.

    Each row's entries are first all delimited and hashed, then looked up one after another (the lookups,
    mostly cache misses in a table of millions of entries, are the larger part of the time). A row's
    duplicates are dropped by stamping each entry's slot with the row's serial number (state[2] is the last
    serial number used, so a batch redone after growing gets fresh ones) instead of sorting the row's
    entries, which took about a fifth of the kernel's time; the stamp shares the entry's slot (one cache
    line) rather than an array of its own, which halved the cache misses of a lookup.
    Ids are given in order of first occurrence.

    With `parts` > 1, only the entries of one share (`part`: by their first, middle and last bytes and their
    length, known before hashing) are hashed, looked up and written: `parts` scans of the same batch in as
    many threads index disjoint sets of entries.

    `hot` (see `fill_hot`; may be empty) holds the most frequent entries in a table small enough to stay in
    the processor's cache; it is looked up first, and an entry found there keeps its row stamp there."""
    n_out = 0
    for r in range(nrows):
        ln = _join_row(mdata, moffs, mrs[r], mre[r], cdata, coffs, crs[r], cre[r], scratch)
        m = _row_items(scratch, ln, items)
        for k in range(m):
            a, b = items[k, 0], items[k, 1]
            if parts > 1 and (np.int64(scratch[a]) * 7 + np.int64(scratch[b - 1]) * 13
                              + np.int64(scratch[(a + b) // 2]) * 3 + (b - a) * 5) % parts != part:
                hashes[k, 0] = 0  # another worker's entry: not hashed, not looked up
            else:
                hashes[k, 0], hashes[k, 1] = _hash(scratch, a, b)
        state[2] += 1
        stamp = state[2]
        smask = np.uint64(len(slots) - 1)
        for k in range(m):
            if k + PREFETCH < m and hashes[k + PREFETCH, 0] != 0:
                _prefetch(slots, np.int64(hashes[k + PREFETCH, 0] & smask))
                if len(hot):
                    _prefetch(hot, np.int64(hashes[k + PREFETCH, 0] & np.uint64(len(hot) - 1)))
            if hashes[k, 0] == 0:
                continue
            if len(hot):
                hm = len(hot) - 1
                j = np.int64(hashes[k, 0] & np.uint64(hm))
                while hot[j, 0] != 0:
                    if hot[j, 0] == hashes[k, 0] and (hot[j, 1] >> np.uint64(32)) == hashes[k, 1]:
                        break
                    j = (j + 1) & hm
                if hot[j, 0] != 0:
                    n_out = _emit(hot, j, stamp, r, out_ids, out_rows, n_out)
                    continue
            i = _intern(scratch, items[k, 0], items[k, 1], hashes[k, 0], hashes[k, 1], slots, vbytes, voffs,
                        state)
            if i < 0:
                return i
            n_out = _emit(slots, i, stamp, r, out_ids, out_rows, n_out)
    return n_out


@njit(cache=True, inline="always")
def _emit(table: np.ndarray, i: int | np.int64, stamp: int, r: int, out_ids: np.ndarray, out_rows: np.ndarray,
          n_out: int) -> int:
    """Write the (entry, row) pair of slot i of `table` unless the row already had it (its stamp), and stamp
    it. Returns the new count of pairs."""
    if table[i, 2] != stamp:
        table[i, 2] = stamp
        out_ids[n_out] = np.int64(table[i, 1] & np.uint64(0xFFFFFFFF))
        out_rows[n_out] = r
        n_out += 1
    return n_out


@njit(cache=True, nogil=True)
def fill_hot(slots: np.ndarray, chosen: np.ndarray, hot: np.ndarray) -> None:
    """Copy the slots of the entries marked in `chosen` (by id) into the empty table `hot` (at most half
    full). Their row stamps move with them: from then on they are looked up in `hot` only."""
    mask = len(hot) - 1
    for i in range(len(slots)):
        if slots[i, 0] != 0 and chosen[np.int64(slots[i, 1] & np.uint64(0xFFFFFFFF))]:
            j = np.int64(slots[i, 0] & np.uint64(mask))
            while hot[j, 0] != 0:
                j = (j + 1) & mask
            hot[j, :] = slots[i, :]


@njit(cache=True)
def rehash(slots: np.ndarray, new: np.ndarray) -> None:
    mask = len(new) - 1
    for i in range(len(slots)):
        if slots[i, 0] != 0:
            j = np.int64(slots[i, 0] & np.uint64(mask))
            while new[j, 0] != 0:
                j = (j + 1) & mask
            new[j, :] = slots[i, :]


@njit(cache=True, nogil=True)
def group_by_id(ids: np.ndarray, rows: np.ndarray, lo: int, hi: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Stable counting sort of (id, row) pairs with lo <= id < hi: (distinct ids ascending, their counts,
    rows grouped by id, in input order within an id)."""
    counts = np.zeros(hi - lo, np.int64)
    for k in range(len(ids)):
        counts[ids[k] - lo] += 1
    pos = np.zeros(hi - lo + 1, np.int64)
    for k in range(hi - lo):
        pos[k + 1] = pos[k] + counts[k]
    out = np.empty(len(ids), rows.dtype)
    for k in range(len(ids)):
        d = ids[k] - lo
        out[pos[d]] = rows[k]
        pos[d] += 1
    nz = np.flatnonzero(counts)
    return (nz + lo).astype(np.int32), counts[nz], out


@njit(cache=True)
def split_key(vbytes: np.ndarray, voffs: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """For every vocabulary entry: bytes of its leading token (the whole entry for a word) and of its
    separator (0 for a word, which has none)."""
    ll = np.empty(n, np.int32)
    ls = np.zeros(n, np.int32)
    for e in range(n):
        a, b = voffs[e], voffs[e + 1]
        i = a
        while i < b and is_word(vbytes[i]):
            i += 1
        ll[e] = i - a
        j = i
        while j < b and not is_word(vbytes[j]):
            j += 1
        ls[e] = j - i
    return ll, ls


@njit(cache=True, inline="always")
def ef_low_bits(count: int, nrows: int) -> int:
    """The low bits per row of an Elias-Fano list of `count` rows among `nrows`: floor(log2(nrows / count))."""
    low = 0
    while (nrows >> (low + 1)) >= count:
        low += 1
    return low


@njit(cache=True, inline="always")
def ef_size(count: int, nrows: int) -> int:
    """Bytes of an Elias-Fano list (see `encode`)."""
    low = ef_low_bits(count, nrows)
    return (count * low + 7) // 8 + (count + (nrows >> low) + 8) // 8


@njit(cache=True, nogil=True)
def encode(rows: np.ndarray, counts: np.ndarray, nrows: int, out: np.ndarray) -> tuple[int, np.ndarray, np.ndarray]:
    """Encode each entry's rows (grouped, ascending) into out, in the smallest of three forms: the gaps
    between its row numbers as LEB128 varints (enc 0), a packed bitmap of nrows bits, 4-aligned (enc 1), or
    Elias-Fano (enc 2): each row's low `ef_low_bits` bits packed little-endian, then a bit vector with one
    bit set per row at (row >> low) + its index. Elias-Fano takes about 2 + log2(nrows / count) bits a row
    whatever the gaps, where a varint takes 8, 16 or 24. Returns (bytes written, byte offset of each entry,
    its form). The caller pads the file's end (`PAD` bytes) so a reader may load a few bytes past an entry."""
    nb = ((nrows + 31) // 32) * 4
    starts = np.empty(len(counts), np.int64)
    encs = np.zeros(len(counts), np.int8)
    w = 0
    k = 0
    for e in range(len(counts)):
        c = counts[e]
        size = 0
        prev = -1
        for t in range(k, k + c):
            gap = np.int64(rows[t]) - prev
            prev = np.int64(rows[t])
            while gap >= 128:
                size += 1
                gap >>= 7
            size += 1
        ef = ef_size(c, nrows)
        if nb + 3 < size and nb + 3 < ef:
            w = (w + 3) // 4 * 4
            starts[e] = w
            encs[e] = 1
            out[w:w + nb] = 0
            for t in range(k, k + c):
                r = rows[t]
                out[w + (r >> 3)] |= np.uint8(1 << (r & 7))
            w += nb
        elif ef < size:
            starts[e] = w
            encs[e] = 2
            out[w:w + ef] = 0
            low = ef_low_bits(c, nrows)
            lowmask = (np.int64(1) << low) - 1
            up = w + (c * low + 7) // 8
            for i in range(c):
                r = np.int64(rows[k + i])
                if low:
                    bit = i * low
                    j = w + (bit >> 3)
                    v = (r & lowmask) << (bit & 7)
                    while v:
                        out[j] |= np.uint8(v & 255)
                        v >>= 8
                        j += 1
                hp = (r >> low) + i
                out[up + (hp >> 3)] |= np.uint8(1 << (hp & 7))
            w += ef
        else:
            starts[e] = w
            prev = -1
            for t in range(k, k + c):
                gap = np.int64(rows[t]) - prev
                prev = np.int64(rows[t])
                while gap >= 128:
                    out[w] = np.uint8((gap & 127) | 128)
                    w += 1
                    gap >>= 7
                out[w] = np.uint8(gap)
                w += 1
        k += c
    return w, starts, encs


@njit(cache=True, inline="always")
def _ef_into(acc: np.ndarray, post: np.ndarray, s: int, c: int, nrows: int) -> None:
    """OR the `c` rows of the Elias-Fano list at post[s:] (among `nrows`) into the packed bitmap `acc`."""
    low = ef_low_bits(c, nrows)
    lowmask = (np.int64(1) << low) - 1
    up = s + (c * low + 7) // 8
    i = 0
    byte = 0
    while i < c:
        x = np.int64(post[up + byte])
        while x:
            t = 0
            while not (x >> t) & 1:
                t += 1
            x &= x - 1
            r = byte * 8 + t - i
            if low:
                bit = i * low
                j = s + (bit >> 3)
                v = (np.int64(post[j]) | (np.int64(post[j + 1]) << 8) | (np.int64(post[j + 2]) << 16)
                     | (np.int64(post[j + 3]) << 24) | (np.int64(post[j + 4]) << 32))
                r = (r << low) | ((v >> (bit & 7)) & lowmask)
            acc[r >> 3] |= np.uint8(1 << (r & 7))
            i += 1
        byte += 1


@njit(cache=True, nogil=True)
def union_into(acc: np.ndarray, post: np.ndarray, starts: np.ndarray, counts: np.ndarray, encs: np.ndarray,
               sel: np.ndarray, nrows: int) -> None:
    """OR the rows of the entries `sel` (among `nrows` rows) into the packed bitmap `acc`."""
    nb = len(acc)
    for e in sel:
        s = starts[e]
        c = counts[e]
        if encs[e] == 1:
            for k in range(nb):
                acc[k] |= post[s + k]
        elif encs[e] == 2:
            _ef_into(acc, post, s, c, nrows)
        else:
            r = -1
            for _ in range(c):
                gap = 0
                shift = 0
                while True:
                    b = np.int64(post[s])
                    s += 1
                    gap |= (b & 127) << shift
                    if b < 128:
                        break
                    shift += 7
                r += gap
                acc[r >> 3] |= np.uint8(1 << (r & 7))


@njit(cache=True)
def gather(vbytes: np.ndarray, starts: np.ndarray, lens: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(data, int64 offsets) of the byte strings vbytes[starts[i]:starts[i]+lens[i]] (an Arrow binary array)."""
    offs = np.zeros(len(starts) + 1, np.int64)
    for i in range(len(starts)):
        offs[i + 1] = offs[i] + lens[i]
    data = np.empty(offs[-1], np.uint8)
    for i in range(len(starts)):
        data[offs[i]:offs[i + 1]] = vbytes[starts[i]:starts[i] + lens[i]]
    return data, offs

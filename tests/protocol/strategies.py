"""Hypothesis strategies for every protocol message, derived from the schema itself.

`hypothesis.strategies.from_type` ignores msgspec's `Meta` bounds, so strategies are built from
`msgspec.inspect.type_info`: every bound, length, literal and union in messages.py is honoured, and a
field added to the schema is covered without touching this file.
"""

from __future__ import annotations

from typing import Any

import msgspec.inspect as mi
from hypothesis import strategies as st

__all__ = ["message_strategy", "strategy_for"]

# Strings: any encodable unicode (no lone surrogates), kept short so examples stay fast.
_ALPHABET = st.characters(blacklist_categories=("Cs",))


def _int(t: mi.IntType) -> st.SearchStrategy[int]:
    lo = t.ge if t.ge is not None else (t.gt + 1 if t.gt is not None else -(2**63))
    hi = t.le if t.le is not None else (t.lt - 1 if t.lt is not None else 2**64 - 1)
    return st.integers(min_value=lo, max_value=hi)


def _float(t: mi.FloatType) -> st.SearchStrategy[float]:
    lo = t.ge if t.ge is not None else t.gt
    hi = t.le if t.le is not None else t.lt
    return st.floats(
        min_value=lo,
        max_value=hi,
        exclude_min=t.gt is not None,
        exclude_max=t.lt is not None,
        allow_nan=False,  # NaN != NaN would break the equality check, not the codec
        allow_infinity=lo is None and hi is None,
    )


def _str(t: mi.StrType) -> st.SearchStrategy[str]:
    hi = 24 if t.max_length is None else min(t.max_length, 24)
    return st.text(_ALPHABET, min_size=t.min_length or 0, max_size=hi)


def _sizes(t: Any, default_max: int) -> tuple[int, int]:
    lo = t.min_length or 0
    hi = default_max if t.max_length is None else min(t.max_length, max(lo, default_max))
    return lo, max(lo, hi)


def _struct(t: mi.StructType) -> st.SearchStrategy[Any]:
    required = {f.name: strategy_for(f.type) for f in t.fields if f.required}
    optional = {f.name: strategy_for(f.type) for f in t.fields if not f.required}
    return st.fixed_dictionaries(required, optional=optional).map(lambda kw: t.cls(**kw))


def strategy_for(t: mi.Type) -> st.SearchStrategy[Any]:
    """A strategy producing valid Python values of the msgspec type `t`."""
    match t:
        case mi.IntType():
            return _int(t)
        case mi.FloatType():
            return _float(t)
        case mi.StrType():
            return _str(t)
        case mi.BytesType():
            return st.binary(min_size=t.min_length or 0, max_size=min(t.max_length or 64, 64))
        case mi.BoolType():
            return st.booleans()
        case mi.NoneType():
            return st.none()
        case mi.LiteralType():
            return st.sampled_from(t.values)
        case mi.EnumType():
            return st.sampled_from(list(t.cls))
        case mi.UnionType():
            return st.one_of([strategy_for(x) for x in t.types])
        case mi.ListType():
            lo, hi = _sizes(t, 3)
            return st.lists(strategy_for(t.item_type), min_size=lo, max_size=hi)
        case mi.VarTupleType():
            lo, hi = _sizes(t, 3)
            return st.lists(strategy_for(t.item_type), min_size=lo, max_size=hi).map(tuple)
        case mi.DictType():
            lo, hi = _sizes(t, 3)
            return st.dictionaries(
                strategy_for(t.key_type), strategy_for(t.value_type), min_size=lo, max_size=hi
            )
        case mi.StructType():
            return _struct(t)
    raise NotImplementedError(f"no strategy for msgspec type {t!r}: extend tests/protocol/strategies.py")


def message_strategy(cls: type[Any]) -> st.SearchStrategy[Any]:
    return strategy_for(mi.type_info(cls))

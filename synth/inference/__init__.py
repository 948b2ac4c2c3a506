"""Column kinds, inferred from real data: one vocabulary, one set of thresholds, one function.

>>> import pandas as pd
>>> from synth.inference import ColumnKind, InferenceConfig, infer_kind
>>> infer_kind(pd.Series([0, 1, 1, 0])), infer_kind(pd.Series(["11:38:36", "07:02:00"]))
(<ColumnKind.BOOLEAN: 'boolean'>, <ColumnKind.TIME: 'time'>)

``synth fit`` (:mod:`synth.fit.columns`), its private mode and ``synth audit`` (:mod:`audit.data`) all ask
:func:`infer_column`; what each kind means is in :mod:`.vocabulary`, the thresholds in :mod:`.config`.
"""

from .config import InferenceConfig
from .identity import identity_provider, is_phone_number
from .infer import Inferred, infer_column, infer_kind, infer_kinds, is_categorical, temporal_kind, words_per_value
from .vocabulary import CATEGORY_KINDS, COMPUTED_SCHEMA_KINDS, NUMBER_KINDS, RECORD_KINDS, ColumnKind, Role

__all__ = ["CATEGORY_KINDS", "COMPUTED_SCHEMA_KINDS", "NUMBER_KINDS", "RECORD_KINDS", "ColumnKind", "InferenceConfig", "Inferred", "Role", "identity_provider",
           "infer_column", "infer_kind", "infer_kinds", "is_categorical", "is_phone_number", "temporal_kind",
           "words_per_value"]

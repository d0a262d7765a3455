"""The PRISMA 2020 counts live in :mod:`litreview.collect.prisma` (they are computed from the
search log and the screening record, before any grading); this name is kept so code that
imported them from the report keeps working."""

from ..collect.prisma import PrismaCounts, counts, counts_of

__all__ = ["PrismaCounts", "counts", "counts_of"]

"""Item pipelines, in ITEM_PIPELINES order: validate, normalise, deduplicate, archive."""

from tjcrawl.pipelines.archive import ArchivePipeline
from tjcrawl.pipelines.dedup import DeduplicatePipeline
from tjcrawl.pipelines.normalise import NormalisePipeline
from tjcrawl.pipelines.validate import ValidatePipeline

__all__ = ["ArchivePipeline", "DeduplicatePipeline", "NormalisePipeline", "ValidatePipeline"]

"""The HTTP client and the job lifecycle. Imports no dataframe library."""

from .client import Client
from .handle import JobHandle
from .idsets import IdSet
from .lifecycle import JobResult
from .polling import PollSchedule, RateState
from .retry import RetryPolicy

__all__ = ["Client", "IdSet", "JobHandle", "JobResult", "PollSchedule", "RateState", "RetryPolicy"]

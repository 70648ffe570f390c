"""The one owner of background work: `JobRunner` runs jobs of the `jobs` table in threads it owns (see
`assay.jobs.runner`); services register handlers and enqueue; the web app's lifespan starts and stops it."""

from assay.jobs.runner import Handler, Job, JobContext, JobRunner, Kind, Stopped
from assay.jobs.table import JobState, enqueue_unless_active, get, latest_with_key, wait_until_done

__all__ = ["Handler", "Job", "JobContext", "JobRunner", "JobState", "Kind", "Stopped", "enqueue_unless_active", "get",
           "latest_with_key", "wait_until_done"]

"""The dispatch engine: send vendor requests, poll their tasks, sweep what got stuck, finish jobs.

Services and Celery tasks call into these modules; each state change is a conditional update from the
expected state (`transitions`), so a redelivered message or a second worker does no harm.

    codec        the vendors.base command a job stores, to and from JSON
    targets      PlantTarget from a plant and its devices
    timing       when a task should be done and when its request is worth polling
    lanes        one lease per vendor account and kind of work (send, poll)
    claim        which pending VendorRequest is due, and the claim (lease, fencing token) of one
    send         call the adapter for a claimed request within the rate limit; the account's send lane
    apply        record the vendor's answer: task and request state changes, job finish, webhooks
    poll         claim a due VendorRequest, poll it, apply the per-plant statuses
    stops        stop requests for accepted charge/discharge tasks (cancel, replace)
    finish       a job's state from its tasks' counts once none is open
    sweep        the periodic tick: start, reclaim, time out, enqueue, finish
"""

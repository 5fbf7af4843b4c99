"""A Huawei SmartPVMS Northbound Interface V7 cloud, simulated (NBI V7 sections 9.1-9.3, 9.6.1, 11).

Run: ``python -m vendors.huawei.simulator --port 0 --plants N --accounts K --speed X --seed S``
(plus ``--unenrolled M``, ``--latency-ms``, ``--error-rate``, ``--drop-rate``, ``--no-rate-limits``,
``--start-epoch``). It prints one line, ``LISTENING http://HOST:PORT``.

Accounts: ``nbi_user_1`` .. ``nbi_user_K`` with passwords ``nbi_pass_1`` .. ``nbi_pass_K``. Enrolled plant
``i`` belongs to account ``i % K + 1``. ``GET /_sim/accounts`` lists them.

Every NBI route is ``POST /rest/openapi/pvms/v1/...`` and answers HTTP 200 with ``{success, failCode,
message, data}``; log in first and send the token as the ``XSRF-TOKEN`` header. Time, rate limits,
battery SOC and task progress all run on the simulated clock (simkit), which ``/_sim/clock/advance``
moves forward. See README.md in this package for the interfaces, the control routes and the choices made
where the vendor document is silent or contradicts itself.
"""

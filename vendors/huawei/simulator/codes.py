"""failCode values the simulator answers, with the document's wording (# NBI V7 11 Error Code List).

Only codes the simulated interfaces can produce are listed. Where the document names no code for a
case, the choice is marked GUESS and explained in README.md.
"""

from __future__ import annotations

OK = 0
NOT_LOGGED_IN = 305
NO_PERMISSION = 401
RATE_LIMITED = 407
SYSTEM_ID_NOT_FOUND = 20001
SERVER_ABNORMAL = 20004
DEVICE_ID_EMPTY = 20005
DEVICE_TYPE_MISMATCH = 20006
NO_PLANT_RESOURCES = 20007
NO_DEVICE_RESOURCES = 20008
PLANT_LIST_EMPTY = 20010
DEVICE_LIST_EMPTY = 20011
QUERY_TIME_EMPTY = 20012
UNSUPPORTED_DEVICE_TYPE = 20013
TOO_MANY_PLANTS = 20015
TOO_MANY_DEVICES = 20017
SWITCH_TYPE_INVALID = 20019
START_AFTER_END = 20023
AC_LIST_INVALID = 20038
DOD_INVALID = 20039
DISPATCH_PARAM_INVALID = 20040
CONTROL_TYPE_EMPTY = 20041
TARGET_SOC_INVALID = 20042
DURATION_INVALID = 20043
REQUEST_ID_EMPTY = 20044
UNAUTHORIZED_PLANTS = 20045
UNAUTHORIZED_DEVICES = 20046
POWER_INVALID = 20047
DUPLICATE_REQUEST_ID = 20048
DISPATCH_FAILED = 20049
TASK_NOT_FOUND = 20050
DOD_FAILED = 20051
ON_OFF_FAILED = 20052
NO_OPERABLE_BATTERY = 20053
INVERTER_CONTROL_PARAM = 20116
EMS_CONTROL_TYPE = 20117
LOGIN_FAILED = 20400
START_NOT_BEFORE_END = 20604
TIME_NEGATIVE = 20605
TASK_LIST_EMPTY = 20607
DUPLICATE_PLANTS = 20608
NETWORKING_ABNORMAL = 20609
DEFAULT_NOT_SUPPORTED = 20610
VALUE_OUT_OF_RANGE = 20611
VALUE_EMPTY = 20612
DEFAULT_ALL_FAILED = 20613
NETWORK_ABNORMAL = 20614
SAME_TASK_RUNNING = 20615
TASK_ID_EMPTY = 20616
DEFAULT_QUERY_EMPTY = 20617
DAILY_LIMIT = 20618
TOO_MANY_TASK_IDS = 20619
TASK_ID_NOT_FOUND = 20620
DEVICE_PARAMS_EMPTY = 22008
PAGE_NO_EMPTY = 30004
PAGE_SIZE_EMPTY = 30005
PAGE_SIZE_RANGE = 30006
PAGE_NO_NEGATIVE = 30021

MESSAGES: dict[int, str] = {
    NOT_LOGGED_IN: "You are not online and need to log in again.",
    NO_PERMISSION: "You do not have the related data interface permission.",
    RATE_LIMITED: "The interface access frequency is too high.",
    SYSTEM_ID_NOT_FOUND: "The third-party system ID does not exist.",
    SERVER_ABNORMAL: "The server is abnormal.",
    DEVICE_ID_EMPTY: "The device ID cannot be empty.",
    DEVICE_TYPE_MISMATCH: "Some devices do not match the device type.",
    NO_PLANT_RESOURCES: "The system does not have the desired power plant resources.",
    NO_DEVICE_RESOURCES: "The system does not have the desired device resources.",
    PLANT_LIST_EMPTY: "The plant list cannot be empty.",
    DEVICE_LIST_EMPTY: "The device list cannot be empty.",
    QUERY_TIME_EMPTY: "The query time cannot be empty.",
    UNSUPPORTED_DEVICE_TYPE: (
        "The device type is incorrect. The interface does not support operations on some devices."
    ),
    TOO_MANY_PLANTS: "A maximum of 100 plants can be queried at a time.",
    TOO_MANY_DEVICES: "A maximum of 100 devices can be queried at a time.",
    SWITCH_TYPE_INVALID: "The switch type parameter value is invalid (1 for switch-on and 2 for switch-off).",
    START_AFTER_END: "The query start time cannot be later than the query end time.",
    AC_LIST_INVALID: (
        "The authorization code list is empty, or the number of authorization codes is out of range."
    ),
    DOD_INVALID: "The DoD value is empty or out of range. The allowed range is [0,100].",
    DISPATCH_PARAM_INVALID: "The charge/discharge parameter value is invalid.",
    CONTROL_TYPE_EMPTY: "The control type cannot be empty during forced charge and discharge.",
    TARGET_SOC_INVALID: "The target SOC for charge/discharge is empty or invalid.",
    DURATION_INVALID: "The charge/discharge duration is empty or invalid.",
    REQUEST_ID_EMPTY: "The unique ID of a charge/discharge task cannot be empty.",
    UNAUTHORIZED_PLANTS: "Unauthorized PV plants exist in the input parameters.",
    UNAUTHORIZED_DEVICES: "Unauthorized devices exist in the input parameters.",
    POWER_INVALID: "The forced charge/discharge power in the input parameters is invalid.",
    DUPLICATE_REQUEST_ID: "Duplicate charge/discharge task ID.",
    DISPATCH_FAILED: "Failed to deliver the charge/discharge task.",
    TASK_NOT_FOUND: "The charge/discharge task query parameter does not exist.",
    DOD_FAILED: "Battery DoD setting failed.",
    ON_OFF_FAILED: "Failed to start or shut down the inverter.",
    NO_OPERABLE_BATTERY: "There is no operable battery.",
    INVERTER_CONTROL_PARAM: "The inverter control parameter is incorrect.",
    EMS_CONTROL_TYPE: "controlType error",
    LOGIN_FAILED: "The username or password of the third-party system is incorrect.",
    START_NOT_BEFORE_END: (
        "The time parameter is incorrect. The start time cannot be later than or equal to the end time."
    ),
    TIME_NEGATIVE: "The time parameter is incorrect. The time parameter contains a negative value.",
    TASK_LIST_EMPTY: "The task list is empty.",
    DUPLICATE_PLANTS: "Duplicate plant IDs exist in the input parameters.",
    NETWORKING_ABNORMAL: "The plant networking is abnormal.",
    DEFAULT_NOT_SUPPORTED: "The plant does not support the default configuration.",
    VALUE_OUT_OF_RANGE: "The values of input parameters exceed the valid range.",
    VALUE_EMPTY: "The value of an input parameter is empty.",
    DEFAULT_ALL_FAILED: "The default task fails to be sent for all plants.",
    NETWORK_ABNORMAL: "The network communication is abnormal.",
    SAME_TASK_RUNNING: "The same task is being executed in the current plant.",
    TASK_ID_EMPTY: "The task ID is empty.",
    DEFAULT_QUERY_EMPTY: "The query result of the default plant task is empty.",
    DAILY_LIMIT: "The calls to API have reached the maximum number per user per day.",
    TOO_MANY_TASK_IDS: "The number of task IDs exceeds 100.",
    TASK_ID_NOT_FOUND: "The task ID does not exist.",
    DEVICE_PARAMS_EMPTY: "The parameters of connected devices are empty.",
    PAGE_NO_EMPTY: "The value of pageNo cannot be empty.",
    PAGE_SIZE_EMPTY: "The value of pageSize cannot be empty.",
    PAGE_SIZE_RANGE: "The value of pageSize is out of range. The allowed range is {10, 20, 30, 50, 100}.",
    PAGE_NO_NEGATIVE: "The value of pageNo is smaller than 0.",
}

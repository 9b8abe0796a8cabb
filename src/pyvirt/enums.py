"""libvirt's public enumerations and flag sets, with libvirt's numbers.

The numbers are part of libvirt's ABI and wire protocol (a remote client sends them as plain
integers), so every value here equals the one in libvirt 9.0's public headers
(``/usr/include/libvirt/libvirt-*.h``); ``tests/test_objects.py`` checks them against the
installed libvirt-python module. Member names are libvirt's constant names without their common
prefix: ``VIR_DOMAIN_SNAPSHOT_CREATE_REDEFINE`` is ``DomainSnapshotCreateFlags.REDEFINE``.
States, reasons and event kinds are ``IntEnum``; sets of bits are ``IntFlag`` (unknown bits are
kept, so a driver can reject them with libvirt's "unsupported flags" error instead of losing them).
"""

from __future__ import annotations

from enum import IntEnum, IntFlag

__all__ = [
    "DomainState",
    "DomainNostateReason",
    "DomainRunningReason",
    "DomainBlockedReason",
    "DomainPausedReason",
    "DomainShutdownReason",
    "DomainShutoffReason",
    "DomainCrashedReason",
    "DomainPMSuspendedReason",
    "DomainPMSuspendedDiskReason",
    "DomainControlState",
    "DomainEventID",
    "DomainEventType",
    "DomainEventDefinedDetail",
    "DomainEventUndefinedDetail",
    "DomainEventStartedDetail",
    "DomainEventSuspendedDetail",
    "DomainEventResumedDetail",
    "DomainEventStoppedDetail",
    "DomainEventShutdownDetail",
    "DomainEventPMSuspendedDetail",
    "DomainEventCrashedDetail",
    "DomainJobType",
    "DomainJobOperation",
    "DomainMetadataType",
    "DomainLifecycle",
    "DomainLifecycleAction",
    "DomainProcessSignal",
    "VcpuState",
    "NetworkEventID",
    "NetworkEventType",
    "StoragePoolEventID",
    "StoragePoolEventType",
    "NodeDeviceEventID",
    "NodeDeviceEventType",
    "StoragePoolState",
    "StorageVolType",
    "StorageVolWipeAlgorithm",
    "NodeSuspendTarget",
    "DomainModificationImpact",
    "DomainXMLFlags",
    "DomainCreateFlags",
    "DomainUndefineFlags",
    "DomainDefineFlags",
    "DomainDestroyFlags",
    "DomainShutdownFlags",
    "DomainRebootFlags",
    "DomainVcpuFlags",
    "DomainMemoryModFlags",
    "DomainSaveRestoreFlags",
    "DomainSaveImageXMLFlags",
    "DomainDeviceModifyFlags",
    "DomainGetHostnameFlags",
    "DomainAbortJobFlags",
    "DomainGetJobStatsFlags",
    "ConnectListAllDomainsFlags",
    "DomainSnapshotCreateFlags",
    "DomainSnapshotListFlags",
    "DomainSnapshotRevertFlags",
    "DomainSnapshotDeleteFlags",
    "DomainSnapshotXMLFlags",
    "NetworkXMLFlags",
    "NetworkCreateFlags",
    "NetworkDefineFlags",
    "NetworkUpdateCommand",
    "NetworkUpdateSection",
    "NetworkUpdateFlags",
    "ConnectListAllNetworksFlags",
    "ConnectListAllStoragePoolsFlags",
    "StoragePoolBuildFlags",
    "StoragePoolDeleteFlags",
    "StoragePoolCreateFlags",
    "StoragePoolDefineFlags",
    "StorageVolCreateFlags",
    "StorageVolDeleteFlags",
    "StorageVolInfoFlags",
    "StorageVolResizeFlags",
    "StorageXMLFlags",
    "ConnectListAllInterfacesFlags",
    "InterfaceXMLFlags",
    "InterfaceDefineFlags",
    "ConnectListAllNodeDeviceFlags",
    "NodeDeviceCreateXMLFlags",
    "NodeDeviceDefineXMLFlags",
    "ConnectFlags",
]


class DomainState(IntEnum):
    """``virDomainState``."""

    NOSTATE = 0
    RUNNING = 1
    BLOCKED = 2
    PAUSED = 3
    SHUTDOWN = 4
    SHUTOFF = 5
    CRASHED = 6
    PMSUSPENDED = 7


class DomainNostateReason(IntEnum):
    """``virDomainNostateReason``."""

    UNKNOWN = 0


class DomainRunningReason(IntEnum):
    """``virDomainRunningReason``."""

    UNKNOWN = 0
    BOOTED = 1
    MIGRATED = 2
    RESTORED = 3
    FROM_SNAPSHOT = 4
    UNPAUSED = 5
    MIGRATION_CANCELED = 6
    SAVE_CANCELED = 7
    WAKEUP = 8
    CRASHED = 9
    POSTCOPY = 10
    POSTCOPY_FAILED = 11


class DomainBlockedReason(IntEnum):
    """``virDomainBlockedReason``."""

    UNKNOWN = 0


class DomainPausedReason(IntEnum):
    """``virDomainPausedReason``."""

    UNKNOWN = 0
    USER = 1
    MIGRATION = 2
    SAVE = 3
    DUMP = 4
    IOERROR = 5
    WATCHDOG = 6
    FROM_SNAPSHOT = 7
    SHUTTING_DOWN = 8
    SNAPSHOT = 9
    CRASHED = 10
    STARTING_UP = 11
    POSTCOPY = 12
    POSTCOPY_FAILED = 13


class DomainShutdownReason(IntEnum):
    """``virDomainShutdownReason``."""

    UNKNOWN = 0
    USER = 1


class DomainShutoffReason(IntEnum):
    """``virDomainShutoffReason``."""

    UNKNOWN = 0
    SHUTDOWN = 1
    DESTROYED = 2
    CRASHED = 3
    MIGRATED = 4
    SAVED = 5
    FAILED = 6
    FROM_SNAPSHOT = 7
    DAEMON = 8


class DomainCrashedReason(IntEnum):
    """``virDomainCrashedReason``."""

    UNKNOWN = 0
    PANICKED = 1


class DomainPMSuspendedReason(IntEnum):
    """``virDomainPMSuspendedReason``."""

    UNKNOWN = 0


class DomainPMSuspendedDiskReason(IntEnum):
    """``virDomainPMSuspendedDiskReason``."""

    UNKNOWN = 0


class DomainControlState(IntEnum):
    """``virDomainControlState``."""

    OK = 0
    JOB = 1
    OCCUPIED = 2
    ERROR = 3


class DomainEventID(IntEnum):
    """``virDomainEventID``."""

    LIFECYCLE = 0
    REBOOT = 1
    RTC_CHANGE = 2
    WATCHDOG = 3
    IO_ERROR = 4
    GRAPHICS = 5
    IO_ERROR_REASON = 6
    CONTROL_ERROR = 7
    BLOCK_JOB = 8
    DISK_CHANGE = 9
    TRAY_CHANGE = 10
    PMWAKEUP = 11
    PMSUSPEND = 12
    BALLOON_CHANGE = 13
    PMSUSPEND_DISK = 14
    DEVICE_REMOVED = 15
    BLOCK_JOB_2 = 16
    TUNABLE = 17
    AGENT_LIFECYCLE = 18
    DEVICE_ADDED = 19
    MIGRATION_ITERATION = 20
    JOB_COMPLETED = 21
    DEVICE_REMOVAL_FAILED = 22
    METADATA_CHANGE = 23
    BLOCK_THRESHOLD = 24
    MEMORY_FAILURE = 25
    MEMORY_DEVICE_SIZE_CHANGE = 26


class DomainEventType(IntEnum):
    """``virDomainEventType``."""

    DEFINED = 0
    UNDEFINED = 1
    STARTED = 2
    SUSPENDED = 3
    RESUMED = 4
    STOPPED = 5
    SHUTDOWN = 6
    PMSUSPENDED = 7
    CRASHED = 8


class DomainEventDefinedDetail(IntEnum):
    """``virDomainEventDefinedDetailType``."""

    ADDED = 0
    UPDATED = 1
    RENAMED = 2
    FROM_SNAPSHOT = 3


class DomainEventUndefinedDetail(IntEnum):
    """``virDomainEventUndefinedDetailType``."""

    REMOVED = 0
    RENAMED = 1


class DomainEventStartedDetail(IntEnum):
    """``virDomainEventStartedDetailType``."""

    BOOTED = 0
    MIGRATED = 1
    RESTORED = 2
    FROM_SNAPSHOT = 3
    WAKEUP = 4


class DomainEventSuspendedDetail(IntEnum):
    """``virDomainEventSuspendedDetailType``."""

    PAUSED = 0
    MIGRATED = 1
    IOERROR = 2
    WATCHDOG = 3
    RESTORED = 4
    FROM_SNAPSHOT = 5
    API_ERROR = 6
    POSTCOPY = 7
    POSTCOPY_FAILED = 8


class DomainEventResumedDetail(IntEnum):
    """``virDomainEventResumedDetailType``."""

    UNPAUSED = 0
    MIGRATED = 1
    FROM_SNAPSHOT = 2
    POSTCOPY = 3
    POSTCOPY_FAILED = 4


class DomainEventStoppedDetail(IntEnum):
    """``virDomainEventStoppedDetailType``."""

    SHUTDOWN = 0
    DESTROYED = 1
    CRASHED = 2
    MIGRATED = 3
    SAVED = 4
    FAILED = 5
    FROM_SNAPSHOT = 6


class DomainEventShutdownDetail(IntEnum):
    """``virDomainEventShutdownDetailType``."""

    FINISHED = 0
    GUEST = 1
    HOST = 2


class DomainEventPMSuspendedDetail(IntEnum):
    """``virDomainEventPMSuspendedDetailType``."""

    MEMORY = 0
    DISK = 1


class DomainEventCrashedDetail(IntEnum):
    """``virDomainEventCrashedDetailType``."""

    PANICKED = 0
    CRASHLOADED = 1


class DomainJobType(IntEnum):
    """``virDomainJobType``."""

    NONE = 0
    BOUNDED = 1
    UNBOUNDED = 2
    COMPLETED = 3
    FAILED = 4
    CANCELLED = 5


class DomainJobOperation(IntEnum):
    """``virDomainJobOperation``."""

    UNKNOWN = 0
    START = 1
    SAVE = 2
    RESTORE = 3
    MIGRATION_IN = 4
    MIGRATION_OUT = 5
    SNAPSHOT = 6
    SNAPSHOT_REVERT = 7
    DUMP = 8
    BACKUP = 9
    SNAPSHOT_DELETE = 10


class DomainMetadataType(IntEnum):
    """``virDomainMetadataType``."""

    DESCRIPTION = 0
    TITLE = 1
    ELEMENT = 2


class DomainLifecycle(IntEnum):
    """``virDomainLifecycle``."""

    POWEROFF = 0
    REBOOT = 1
    CRASH = 2


class DomainLifecycleAction(IntEnum):
    """``virDomainLifecycleAction``."""

    DESTROY = 0
    RESTART = 1
    RESTART_RENAME = 2
    PRESERVE = 3
    COREDUMP_DESTROY = 4
    COREDUMP_RESTART = 5


class DomainProcessSignal(IntEnum):
    """``virDomainProcessSignal``."""

    NOP = 0
    HUP = 1
    INT = 2
    QUIT = 3
    ILL = 4
    TRAP = 5
    ABRT = 6
    BUS = 7
    FPE = 8
    KILL = 9
    USR1 = 10
    SEGV = 11
    USR2 = 12
    PIPE = 13
    ALRM = 14
    TERM = 15
    STKFLT = 16
    CHLD = 17
    CONT = 18
    STOP = 19
    TSTP = 20
    TTIN = 21
    TTOU = 22
    URG = 23
    XCPU = 24
    XFSZ = 25
    VTALRM = 26
    PROF = 27
    WINCH = 28
    POLL = 29
    PWR = 30
    SYS = 31
    RT0 = 32
    RT1 = 33
    RT2 = 34
    RT3 = 35
    RT4 = 36
    RT5 = 37
    RT6 = 38
    RT7 = 39
    RT8 = 40
    RT9 = 41
    RT10 = 42
    RT11 = 43
    RT12 = 44
    RT13 = 45
    RT14 = 46
    RT15 = 47
    RT16 = 48
    RT17 = 49
    RT18 = 50
    RT19 = 51
    RT20 = 52
    RT21 = 53
    RT22 = 54
    RT23 = 55
    RT24 = 56
    RT25 = 57
    RT26 = 58
    RT27 = 59
    RT28 = 60
    RT29 = 61
    RT30 = 62
    RT31 = 63
    RT32 = 64


class VcpuState(IntEnum):
    """``virVcpuState``."""

    OFFLINE = 0
    RUNNING = 1
    BLOCKED = 2


class NetworkEventID(IntEnum):
    """``virNetworkEventID``."""

    LIFECYCLE = 0


class NetworkEventType(IntEnum):
    """``virNetworkEventLifecycleType``."""

    DEFINED = 0
    UNDEFINED = 1
    STARTED = 2
    STOPPED = 3


class StoragePoolEventID(IntEnum):
    """``virStoragePoolEventID``."""

    LIFECYCLE = 0
    REFRESH = 1


class StoragePoolEventType(IntEnum):
    """``virStoragePoolEventLifecycleType``."""

    DEFINED = 0
    UNDEFINED = 1
    STARTED = 2
    STOPPED = 3
    CREATED = 4
    DELETED = 5


class NodeDeviceEventID(IntEnum):
    """``virNodeDeviceEventID``."""

    LIFECYCLE = 0
    UPDATE = 1


class NodeDeviceEventType(IntEnum):
    """``virNodeDeviceEventLifecycleType``."""

    CREATED = 0
    DELETED = 1
    DEFINED = 2
    UNDEFINED = 3


class StoragePoolState(IntEnum):
    """``virStoragePoolState``."""

    INACTIVE = 0
    BUILDING = 1
    RUNNING = 2
    DEGRADED = 3
    INACCESSIBLE = 4


class StorageVolType(IntEnum):
    """``virStorageVolType``."""

    FILE = 0
    BLOCK = 1
    DIR = 2
    NETWORK = 3
    NETDIR = 4
    PLOOP = 5


class StorageVolWipeAlgorithm(IntEnum):
    """``virStorageVolWipeAlgorithm``."""

    ZERO = 0
    NNSA = 1
    DOD = 2
    BSI = 3
    GUTMANN = 4
    SCHNEIER = 5
    PFITZNER7 = 6
    PFITZNER33 = 7
    RANDOM = 8
    TRIM = 9


class NodeSuspendTarget(IntEnum):
    """``virNodeSuspendTarget``."""

    MEM = 0
    DISK = 1
    HYBRID = 2


class DomainModificationImpact(IntFlag):
    """``virDomainModificationImpact``."""

    CURRENT = 0
    LIVE = 1
    CONFIG = 2


class DomainXMLFlags(IntFlag):
    """``virDomainXMLFlags``."""

    SECURE = 1
    INACTIVE = 2
    UPDATE_CPU = 4
    MIGRATABLE = 8


class DomainCreateFlags(IntFlag):
    """``virDomainCreateFlags``."""

    NONE = 0
    START_PAUSED = 1
    START_AUTODESTROY = 2
    START_BYPASS_CACHE = 4
    START_FORCE_BOOT = 8
    START_VALIDATE = 16
    START_RESET_NVRAM = 32
    # Short aliases: the flag names without libvirt's START_ word, for Pythonic callers.
    PAUSED = 1
    AUTODESTROY = 2
    BYPASS_CACHE = 4
    FORCE_BOOT = 8
    VALIDATE = 16
    RESET_NVRAM = 32


class DomainUndefineFlags(IntFlag):
    """``virDomainUndefineFlagsValues``."""

    MANAGED_SAVE = 1
    SNAPSHOTS_METADATA = 2
    NVRAM = 4
    KEEP_NVRAM = 8
    CHECKPOINTS_METADATA = 16
    TPM = 32
    KEEP_TPM = 64


class DomainDefineFlags(IntFlag):
    """``virDomainDefineFlags``."""

    VALIDATE = 1


class DomainDestroyFlags(IntFlag):
    """``virDomainDestroyFlagsValues``."""

    DEFAULT = 0
    GRACEFUL = 1
    REMOVE_LOGS = 2


class DomainShutdownFlags(IntFlag):
    """``virDomainShutdownFlagValues``."""

    DEFAULT = 0
    ACPI_POWER_BTN = 1
    GUEST_AGENT = 2
    INITCTL = 4
    SIGNAL = 8
    PARAVIRT = 16


class DomainRebootFlags(IntFlag):
    """``virDomainRebootFlagValues``."""

    DEFAULT = 0
    ACPI_POWER_BTN = 1
    GUEST_AGENT = 2
    INITCTL = 4
    SIGNAL = 8
    PARAVIRT = 16


class DomainVcpuFlags(IntFlag):
    """``virDomainVcpuFlags``."""

    CURRENT = 0
    LIVE = 1
    CONFIG = 2
    MAXIMUM = 4
    GUEST = 8
    HOTPLUGGABLE = 16


class DomainMemoryModFlags(IntFlag):
    """``virDomainMemoryModFlags``."""

    CURRENT = 0
    LIVE = 1
    CONFIG = 2
    MAXIMUM = 4


class DomainSaveRestoreFlags(IntFlag):
    """``virDomainSaveRestoreFlags``."""

    BYPASS_CACHE = 1
    RUNNING = 2
    PAUSED = 4
    RESET_NVRAM = 8


class DomainSaveImageXMLFlags(IntFlag):
    """``virDomainSaveImageXMLFlags``."""

    SECURE = 1


class DomainDeviceModifyFlags(IntFlag):
    """``virDomainDeviceModifyFlags``."""

    CURRENT = 0
    LIVE = 1
    CONFIG = 2
    FORCE = 4


class DomainGetHostnameFlags(IntFlag):
    """``virDomainGetHostnameFlags``."""

    LEASE = 1
    AGENT = 2


class DomainAbortJobFlags(IntFlag):
    """``virDomainAbortJobFlagsValues``."""

    POSTCOPY = 1


class DomainGetJobStatsFlags(IntFlag):
    """``virDomainGetJobStatsFlags``."""

    COMPLETED = 1
    KEEP_COMPLETED = 2


class ConnectListAllDomainsFlags(IntFlag):
    """``virConnectListAllDomainsFlags``."""

    ACTIVE = 1
    INACTIVE = 2
    PERSISTENT = 4
    TRANSIENT = 8
    RUNNING = 16
    PAUSED = 32
    SHUTOFF = 64
    OTHER = 128
    MANAGEDSAVE = 256
    NO_MANAGEDSAVE = 512
    AUTOSTART = 1024
    NO_AUTOSTART = 2048
    HAS_SNAPSHOT = 4096
    NO_SNAPSHOT = 8192
    HAS_CHECKPOINT = 16384
    NO_CHECKPOINT = 32768


class DomainSnapshotCreateFlags(IntFlag):
    """``virDomainSnapshotCreateFlags``."""

    REDEFINE = 1
    CURRENT = 2
    NO_METADATA = 4
    HALT = 8
    DISK_ONLY = 16
    REUSE_EXT = 32
    QUIESCE = 64
    ATOMIC = 128
    LIVE = 256
    VALIDATE = 512


class DomainSnapshotListFlags(IntFlag):
    """``virDomainSnapshotListFlags``."""

    # libvirt gives ROOTS and DESCENDANTS the same bit: listing from the domain it means
    # "roots only", listing from a snapshot it means "all descendants, not just children".
    ROOTS = 1
    DESCENDANTS = 1
    LEAVES = 4
    NO_LEAVES = 8
    METADATA = 2
    NO_METADATA = 16
    INACTIVE = 32
    ACTIVE = 64
    DISK_ONLY = 128
    INTERNAL = 256
    EXTERNAL = 512
    TOPOLOGICAL = 1024


class DomainSnapshotRevertFlags(IntFlag):
    """``virDomainSnapshotRevertFlags``."""

    RUNNING = 1
    PAUSED = 2
    FORCE = 4
    RESET_NVRAM = 8


class DomainSnapshotDeleteFlags(IntFlag):
    """``virDomainSnapshotDeleteFlags``."""

    CHILDREN = 1
    METADATA_ONLY = 2
    CHILDREN_ONLY = 4


class DomainSnapshotXMLFlags(IntFlag):
    """``virDomainSnapshotXMLFlags``."""

    SECURE = 1


class NetworkXMLFlags(IntFlag):
    """``virNetworkXMLFlags``."""

    INACTIVE = 1


class NetworkCreateFlags(IntFlag):
    """``virNetworkCreateFlags``."""

    VALIDATE = 1


class NetworkDefineFlags(IntFlag):
    """``virNetworkDefineFlags``."""

    VALIDATE = 1


class NetworkUpdateCommand(IntEnum):
    """``virNetworkUpdateCommand``."""

    NONE = 0
    MODIFY = 1
    DELETE = 2
    ADD_LAST = 3
    ADD_FIRST = 4


class NetworkUpdateSection(IntEnum):
    """``virNetworkUpdateSection``."""

    NONE = 0
    BRIDGE = 1
    DOMAIN = 2
    IP = 3
    IP_DHCP_HOST = 4
    IP_DHCP_RANGE = 5
    FORWARD = 6
    FORWARD_INTERFACE = 7
    FORWARD_PF = 8
    PORTGROUP = 9
    DNS_HOST = 10
    DNS_TXT = 11
    DNS_SRV = 12


class NetworkUpdateFlags(IntFlag):
    """``virNetworkUpdateFlags``."""

    CURRENT = 0
    LIVE = 1
    CONFIG = 2


class ConnectListAllNetworksFlags(IntFlag):
    """``virConnectListAllNetworksFlags``."""

    INACTIVE = 1
    ACTIVE = 2
    PERSISTENT = 4
    TRANSIENT = 8
    AUTOSTART = 16
    NO_AUTOSTART = 32


class ConnectListAllStoragePoolsFlags(IntFlag):
    """``virConnectListAllStoragePoolsFlags``."""

    INACTIVE = 1
    ACTIVE = 2
    PERSISTENT = 4
    TRANSIENT = 8
    AUTOSTART = 16
    NO_AUTOSTART = 32
    DIR = 64
    FS = 128
    NETFS = 256
    LOGICAL = 512
    DISK = 1024
    ISCSI = 2048
    SCSI = 4096
    MPATH = 8192
    RBD = 16384
    SHEEPDOG = 32768
    GLUSTER = 65536
    ZFS = 131072
    VSTORAGE = 262144
    ISCSI_DIRECT = 524288


class StoragePoolBuildFlags(IntFlag):
    """``virStoragePoolBuildFlags``."""

    NEW = 0
    REPAIR = 1
    RESIZE = 2
    NO_OVERWRITE = 4
    OVERWRITE = 8


class StoragePoolDeleteFlags(IntFlag):
    """``virStoragePoolDeleteFlags``."""

    NORMAL = 0
    ZEROED = 1


class StoragePoolCreateFlags(IntFlag):
    """``virStoragePoolCreateFlags``."""

    NORMAL = 0
    WITH_BUILD = 1
    WITH_BUILD_OVERWRITE = 2
    WITH_BUILD_NO_OVERWRITE = 4


class StoragePoolDefineFlags(IntFlag):
    """``virStoragePoolDefineFlags``."""

    VALIDATE = 1


class StorageVolCreateFlags(IntFlag):
    """``virStorageVolCreateFlags``."""

    PREALLOC_METADATA = 1
    REFLINK = 2
    VALIDATE = 4


class StorageVolDeleteFlags(IntFlag):
    """``virStorageVolDeleteFlags``."""

    NORMAL = 0
    ZEROED = 1
    WITH_SNAPSHOTS = 2


class StorageVolInfoFlags(IntFlag):
    """``virStorageVolInfoFlags``."""

    USE_ALLOCATION = 0
    GET_PHYSICAL = 1


class StorageVolResizeFlags(IntFlag):
    """``virStorageVolResizeFlags``."""

    ALLOCATE = 1
    DELTA = 2
    SHRINK = 4


class StorageXMLFlags(IntFlag):
    """``virStorageXMLFlags``."""

    INACTIVE = 1


class ConnectListAllInterfacesFlags(IntFlag):
    """``virConnectListAllInterfacesFlags``."""

    INACTIVE = 1
    ACTIVE = 2


class InterfaceXMLFlags(IntFlag):
    """``virInterfaceXMLFlags``."""

    INACTIVE = 1


class InterfaceDefineFlags(IntFlag):
    """``virInterfaceDefineFlags``."""

    VALIDATE = 1


class ConnectListAllNodeDeviceFlags(IntFlag):
    """``virConnectListAllNodeDeviceFlags``."""

    CAP_SYSTEM = 1
    CAP_PCI_DEV = 2
    CAP_USB_DEV = 4
    CAP_USB_INTERFACE = 8
    CAP_NET = 16
    CAP_SCSI_HOST = 32
    CAP_SCSI_TARGET = 64
    CAP_SCSI = 128
    CAP_STORAGE = 256
    CAP_FC_HOST = 512
    CAP_VPORTS = 1024
    CAP_SCSI_GENERIC = 2048
    CAP_DRM = 4096
    CAP_MDEV_TYPES = 8192
    CAP_MDEV = 16384
    CAP_CCW_DEV = 32768
    CAP_CSS_DEV = 65536
    CAP_VDPA = 131072
    CAP_AP_CARD = 262144
    CAP_AP_QUEUE = 524288
    CAP_AP_MATRIX = 1048576
    CAP_VPD = 2097152
    INACTIVE = 1073741824
    ACTIVE = 2147483648


class NodeDeviceCreateXMLFlags(IntFlag):
    """``virNodeDeviceCreateXMLFlags``."""

    VALIDATE = 1


class NodeDeviceDefineXMLFlags(IntFlag):
    """``virNodeDeviceDefineXMLFlags``."""

    VALIDATE = 1


class ConnectFlags(IntFlag):
    """``virConnectFlags``."""

    RO = 1
    NO_ALIASES = 2

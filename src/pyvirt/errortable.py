"""The error table: libvirt's error numbers, domains and message templates, as data.

Generated once from libvirt 9.0's public header (numbers) and message table (templates) by
hand-checked transcription; every failure anywhere in pyvirt is raised from here so that a
remote client receives exactly the code a local caller would.
"""

from __future__ import annotations

from enum import IntEnum


class ErrorNumber(IntEnum):
    """virErrorNumber."""

    OK = 0
    INTERNAL_ERROR = 1
    NO_MEMORY = 2
    NO_SUPPORT = 3
    UNKNOWN_HOST = 4
    NO_CONNECT = 5
    INVALID_CONN = 6
    INVALID_DOMAIN = 7
    INVALID_ARG = 8
    OPERATION_FAILED = 9
    GET_FAILED = 10
    POST_FAILED = 11
    HTTP_ERROR = 12
    SEXPR_SERIAL = 13
    NO_XEN = 14
    XEN_CALL = 15
    OS_TYPE = 16
    NO_KERNEL = 17
    NO_ROOT = 18
    NO_SOURCE = 19
    NO_TARGET = 20
    NO_NAME = 21
    NO_OS = 22
    NO_DEVICE = 23
    NO_XENSTORE = 24
    DRIVER_FULL = 25
    CALL_FAILED = 26
    XML_ERROR = 27
    DOM_EXIST = 28
    OPERATION_DENIED = 29
    OPEN_FAILED = 30
    READ_FAILED = 31
    PARSE_FAILED = 32
    CONF_SYNTAX = 33
    WRITE_FAILED = 34
    XML_DETAIL = 35
    INVALID_NETWORK = 36
    NETWORK_EXIST = 37
    SYSTEM_ERROR = 38
    RPC = 39
    GNUTLS_ERROR = 40
    WAR_NO_NETWORK = 41
    NO_DOMAIN = 42
    NO_NETWORK = 43
    INVALID_MAC = 44
    AUTH_FAILED = 45
    INVALID_STORAGE_POOL = 46
    INVALID_STORAGE_VOL = 47
    WAR_NO_STORAGE = 48
    NO_STORAGE_POOL = 49
    NO_STORAGE_VOL = 50
    WAR_NO_NODE = 51
    INVALID_NODE_DEVICE = 52
    NO_NODE_DEVICE = 53
    NO_SECURITY_MODEL = 54
    OPERATION_INVALID = 55
    WAR_NO_INTERFACE = 56
    NO_INTERFACE = 57
    INVALID_INTERFACE = 58
    MULTIPLE_INTERFACES = 59
    WAR_NO_NWFILTER = 60
    INVALID_NWFILTER = 61
    NO_NWFILTER = 62
    BUILD_FIREWALL = 63
    WAR_NO_SECRET = 64
    INVALID_SECRET = 65
    NO_SECRET = 66
    CONFIG_UNSUPPORTED = 67
    OPERATION_TIMEOUT = 68
    MIGRATE_PERSIST_FAILED = 69
    HOOK_SCRIPT_FAILED = 70
    INVALID_DOMAIN_SNAPSHOT = 71
    NO_DOMAIN_SNAPSHOT = 72
    INVALID_STREAM = 73
    ARGUMENT_UNSUPPORTED = 74
    STORAGE_PROBE_FAILED = 75
    STORAGE_POOL_BUILT = 76
    SNAPSHOT_REVERT_RISKY = 77
    OPERATION_ABORTED = 78
    AUTH_CANCELLED = 79
    NO_DOMAIN_METADATA = 80
    MIGRATE_UNSAFE = 81
    OVERFLOW = 82
    BLOCK_COPY_ACTIVE = 83
    OPERATION_UNSUPPORTED = 84
    SSH = 85
    AGENT_UNRESPONSIVE = 86
    RESOURCE_BUSY = 87
    ACCESS_DENIED = 88
    DBUS_SERVICE = 89
    STORAGE_VOL_EXIST = 90
    CPU_INCOMPATIBLE = 91
    XML_INVALID_SCHEMA = 92
    MIGRATE_FINISH_OK = 93
    AUTH_UNAVAILABLE = 94
    NO_SERVER = 95
    NO_CLIENT = 96
    AGENT_UNSYNCED = 97
    LIBSSH = 98
    DEVICE_MISSING = 99
    INVALID_NWFILTER_BINDING = 100
    NO_NWFILTER_BINDING = 101
    INVALID_DOMAIN_CHECKPOINT = 102
    NO_DOMAIN_CHECKPOINT = 103
    NO_DOMAIN_BACKUP = 104
    INVALID_NETWORK_PORT = 105
    NETWORK_PORT_EXIST = 106
    NO_NETWORK_PORT = 107
    NO_HOSTNAME = 108
    CHECKPOINT_INCONSISTENT = 109
    MULTIPLE_DOMAINS = 110


class ErrorDomain(IntEnum):
    """virErrorDomain: which subsystem raised the error."""

    NONE = 0
    XEN = 1
    XEND = 2
    XENSTORE = 3
    SEXPR = 4
    XML = 5
    DOM = 6
    RPC = 7
    PROXY = 8
    CONF = 9
    QEMU = 10
    NET = 11
    TEST = 12
    REMOTE = 13
    OPENVZ = 14
    XENXM = 15
    STATS_LINUX = 16
    LXC = 17
    STORAGE = 18
    NETWORK = 19
    DOMAIN = 20
    UML = 21
    NODEDEV = 22
    XEN_INOTIFY = 23
    SECURITY = 24
    VBOX = 25
    INTERFACE = 26
    ONE = 27
    ESX = 28
    PHYP = 29
    SECRET = 30
    CPU = 31
    XENAPI = 32
    NWFILTER = 33
    HOOK = 34
    DOMAIN_SNAPSHOT = 35
    AUDIT = 36
    SYSINFO = 37
    STREAMS = 38
    VMWARE = 39
    EVENT = 40
    LIBXL = 41
    LOCKING = 42
    HYPERV = 43
    CAPABILITIES = 44
    URI = 45
    AUTH = 46
    DBUS = 47
    PARALLELS = 48
    DEVICE = 49
    SSH = 50
    LOCKSPACE = 51
    INITCTL = 52
    IDENTITY = 53
    CGROUP = 54
    ACCESS = 55
    SYSTEMD = 56
    BHYVE = 57
    CRYPTO = 58
    FIREWALL = 59
    POLKIT = 60
    THREAD = 61
    ADMIN = 62
    LOGGING = 63
    XENXL = 64
    PERF = 65
    LIBSSH = 66
    RESCTRL = 67
    FIREWALLD = 68
    DOMAIN_CHECKPOINT = 69
    TPM = 70
    BPF = 71
    CH = 72


class ErrorLevel(IntEnum):
    NONE = 0
    WARNING = 1
    ERROR = 2


#: code -> (message without detail, message template with one %s for the detail)
MESSAGES: dict[ErrorNumber, tuple[str, str]] = {
    ErrorNumber.INTERNAL_ERROR: ('internal error', 'internal error: %s'),
    ErrorNumber.NO_MEMORY: ('out of memory', 'out of memory: %s'),
    ErrorNumber.NO_SUPPORT: ('this function is not supported by the connection driver', 'this function is not supported by the connection driver: %s'),
    ErrorNumber.UNKNOWN_HOST: ('unknown host', 'unknown host %s'),
    ErrorNumber.NO_CONNECT: ('no connection driver available', 'no connection driver available for %s'),
    ErrorNumber.INVALID_CONN: ('invalid connection pointer in', 'invalid connection pointer in %s'),
    ErrorNumber.INVALID_DOMAIN: ('invalid domain pointer in', 'invalid domain pointer in %s'),
    ErrorNumber.INVALID_ARG: ('invalid argument', 'invalid argument: %s'),
    ErrorNumber.OPERATION_FAILED: ('operation failed', 'operation failed: %s'),
    ErrorNumber.GET_FAILED: ('GET operation failed', 'GET operation failed: %s'),
    ErrorNumber.POST_FAILED: ('POST operation failed', 'POST operation failed: %s'),
    ErrorNumber.HTTP_ERROR: ('got unknown HTTP error code', 'got unknown HTTP error code %s'),
    ErrorNumber.SEXPR_SERIAL: ('failed to serialize S-Expr', 'failed to serialize S-Expr: %s'),
    ErrorNumber.NO_XEN: ('could not use Xen hypervisor entry', 'could not use Xen hypervisor entry %s'),
    ErrorNumber.XEN_CALL: ('failed Xen syscall', 'failed Xen syscall %s'),
    ErrorNumber.OS_TYPE: ('unknown OS type', 'unknown OS type %s'),
    ErrorNumber.NO_KERNEL: ('missing kernel information', 'missing kernel information: %s'),
    ErrorNumber.NO_ROOT: ('missing root device information', 'missing root device information in %s'),
    ErrorNumber.NO_SOURCE: ('missing source information for device', 'missing source information for device %s'),
    ErrorNumber.NO_TARGET: ('missing target information for device', 'missing target information for device %s'),
    ErrorNumber.NO_NAME: ('missing name information', 'missing name information in %s'),
    ErrorNumber.NO_OS: ('missing operating system information', 'missing operating system information for %s'),
    ErrorNumber.NO_DEVICE: ('missing devices information', 'missing devices information for %s'),
    ErrorNumber.NO_XENSTORE: ('could not connect to Xen Store', 'could not connect to Xen Store %s'),
    ErrorNumber.DRIVER_FULL: ('too many drivers registered', 'too many drivers registered in %s'),
    ErrorNumber.CALL_FAILED: ('library call failed', 'library call failed: %s'),
    ErrorNumber.XML_ERROR: ('XML description is invalid or not well formed', 'XML error: %s'),
    ErrorNumber.DOM_EXIST: ('this domain exists already', 'domain %s exists already'),
    ErrorNumber.OPERATION_DENIED: ('operation forbidden for read only access', 'operation forbidden: %s'),
    ErrorNumber.OPEN_FAILED: ('failed to open configuration file', 'failed to open configuration file %s'),
    ErrorNumber.READ_FAILED: ('failed to read configuration file', 'failed to read configuration file %s'),
    ErrorNumber.PARSE_FAILED: ('failed to parse configuration file', 'failed to parse configuration file %s'),
    ErrorNumber.CONF_SYNTAX: ('configuration file syntax error', 'configuration file syntax error: %s'),
    ErrorNumber.WRITE_FAILED: ('failed to write configuration file', 'failed to write configuration file: %s'),
    ErrorNumber.XML_DETAIL: ('parser error', '%s'),
    ErrorNumber.INVALID_NETWORK: ('invalid network pointer in', 'invalid network pointer in %s'),
    ErrorNumber.NETWORK_EXIST: ('this network exists already', 'network %s exists already'),
    ErrorNumber.SYSTEM_ERROR: ('system call error', '%s'),
    ErrorNumber.RPC: ('RPC error', '%s'),
    ErrorNumber.GNUTLS_ERROR: ('GNUTLS call error', '%s'),
    ErrorNumber.WAR_NO_NETWORK: ('Failed to find the network', 'Failed to find the network: %s'),
    ErrorNumber.NO_DOMAIN: ('Domain not found', 'Domain not found: %s'),
    ErrorNumber.NO_NETWORK: ('Network not found', 'Network not found: %s'),
    ErrorNumber.INVALID_MAC: ('invalid MAC address', 'invalid MAC address: %s'),
    ErrorNumber.AUTH_FAILED: ('authentication failed', 'authentication failed: %s'),
    ErrorNumber.INVALID_STORAGE_POOL: ('invalid storage pool pointer in', 'invalid storage pool pointer in %s'),
    ErrorNumber.INVALID_STORAGE_VOL: ('invalid storage volume pointer in', 'invalid storage volume pointer in %s'),
    ErrorNumber.WAR_NO_STORAGE: ('Failed to find a storage driver', 'Failed to find a storage driver: %s'),
    ErrorNumber.NO_STORAGE_POOL: ('Storage pool not found', 'Storage pool not found: %s'),
    ErrorNumber.NO_STORAGE_VOL: ('Storage volume not found', 'Storage volume not found: %s'),
    ErrorNumber.WAR_NO_NODE: ('Failed to find a node driver', 'Failed to find a node driver: %s'),
    ErrorNumber.INVALID_NODE_DEVICE: ('invalid node device pointer', 'invalid node device pointer in %s'),
    ErrorNumber.NO_NODE_DEVICE: ('Node device not found', 'Node device not found: %s'),
    ErrorNumber.NO_SECURITY_MODEL: ('Security model not found', 'Security model not found: %s'),
    ErrorNumber.OPERATION_INVALID: ('Requested operation is not valid', 'Requested operation is not valid: %s'),
    ErrorNumber.WAR_NO_INTERFACE: ('Failed to find the interface', 'Failed to find the interface: %s'),
    ErrorNumber.NO_INTERFACE: ('Interface not found', 'Interface not found: %s'),
    ErrorNumber.INVALID_INTERFACE: ('invalid interface pointer in', 'invalid interface pointer in %s'),
    ErrorNumber.MULTIPLE_INTERFACES: ('multiple matching interfaces found', 'multiple matching interfaces found: %s'),
    ErrorNumber.WAR_NO_NWFILTER: ('Failed to start the nwfilter driver', 'Failed to start the nwfilter driver: %s'),
    ErrorNumber.INVALID_NWFILTER: ('Invalid network filter', 'Invalid network filter: %s'),
    ErrorNumber.NO_NWFILTER: ('Network filter not found', 'Network filter not found: %s'),
    ErrorNumber.BUILD_FIREWALL: ('Error while building firewall', 'Error while building firewall: %s'),
    ErrorNumber.WAR_NO_SECRET: ('Failed to find a secret storage driver', 'Failed to find a secret storage driver: %s'),
    ErrorNumber.INVALID_SECRET: ('Invalid secret', 'Invalid secret: %s'),
    ErrorNumber.NO_SECRET: ('Secret not found', 'Secret not found: %s'),
    ErrorNumber.CONFIG_UNSUPPORTED: ('unsupported configuration', 'unsupported configuration: %s'),
    ErrorNumber.OPERATION_TIMEOUT: ('Timed out during operation', 'Timed out during operation: %s'),
    ErrorNumber.MIGRATE_PERSIST_FAILED: ('Failed to make domain persistent after migration', 'Failed to make domain persistent after migration: %s'),
    ErrorNumber.HOOK_SCRIPT_FAILED: ('Hook script execution failed', 'Hook script execution failed: %s'),
    ErrorNumber.INVALID_DOMAIN_SNAPSHOT: ('Invalid domain snapshot', 'Invalid domain snapshot: %s'),
    ErrorNumber.NO_DOMAIN_SNAPSHOT: ('Domain snapshot not found', 'Domain snapshot not found: %s'),
    ErrorNumber.INVALID_STREAM: ('invalid stream pointer', 'invalid stream pointer in %s'),
    ErrorNumber.ARGUMENT_UNSUPPORTED: ('argument unsupported', 'argument unsupported: %s'),
    ErrorNumber.STORAGE_PROBE_FAILED: ('Storage pool probe failed', 'Storage pool probe failed: %s'),
    ErrorNumber.STORAGE_POOL_BUILT: ('Storage pool already built', 'Storage pool already built: %s'),
    ErrorNumber.SNAPSHOT_REVERT_RISKY: ('revert requires force', 'revert requires force: %s'),
    ErrorNumber.OPERATION_ABORTED: ('operation aborted', 'operation aborted: %s'),
    ErrorNumber.AUTH_CANCELLED: ('authentication cancelled', 'authentication cancelled: %s'),
    ErrorNumber.NO_DOMAIN_METADATA: ('metadata not found', 'metadata not found: %s'),
    ErrorNumber.MIGRATE_UNSAFE: ('Unsafe migration', 'Unsafe migration: %s'),
    ErrorNumber.OVERFLOW: ('numerical overflow', 'numerical overflow: %s'),
    ErrorNumber.BLOCK_COPY_ACTIVE: ('block copy still active', 'block copy still active: %s'),
    ErrorNumber.OPERATION_UNSUPPORTED: ('Operation not supported', 'Operation not supported: %s'),
    ErrorNumber.SSH: ('SSH transport error', 'SSH transport error: %s'),
    ErrorNumber.AGENT_UNRESPONSIVE: ('Guest agent is not responding', 'Guest agent is not responding: %s'),
    ErrorNumber.RESOURCE_BUSY: ('resource busy', 'resource busy: %s'),
    ErrorNumber.ACCESS_DENIED: ('access denied', 'access denied: %s'),
    ErrorNumber.DBUS_SERVICE: ('error from service', 'error from service: %s'),
    ErrorNumber.STORAGE_VOL_EXIST: ('this storage volume exists already', 'storage volume %s exists already'),
    ErrorNumber.CPU_INCOMPATIBLE: ('the CPU is incompatible with host CPU', 'the CPU is incompatible with host CPU: %s'),
    ErrorNumber.XML_INVALID_SCHEMA: ('XML document failed to validate against schema', 'XML document failed to validate against schema: %s'),
    ErrorNumber.MIGRATE_FINISH_OK: ('migration successfully aborted', 'migration successfully aborted: %s'),
    ErrorNumber.AUTH_UNAVAILABLE: ('authentication unavailable', 'authentication unavailable: %s'),
    ErrorNumber.NO_SERVER: ('Server not found', 'Server not found: %s'),
    ErrorNumber.NO_CLIENT: ('Client not found', 'Client not found: %s'),
    ErrorNumber.AGENT_UNSYNCED: ('guest agent replied with wrong id to guest-sync command', 'guest agent replied with wrong id to guest-sync command: %s'),
    ErrorNumber.LIBSSH: ('libssh transport error', 'libssh transport error: %s'),
    ErrorNumber.DEVICE_MISSING: ('device not found', 'device not found: %s'),
    ErrorNumber.INVALID_NWFILTER_BINDING: ('Invalid network filter binding', 'Invalid network filter binding: %s'),
    ErrorNumber.NO_NWFILTER_BINDING: ('Network filter binding not found', 'Network filter binding not found: %s'),
    ErrorNumber.INVALID_DOMAIN_CHECKPOINT: ('Invalid domain checkpoint', 'Invalid domain checkpoint: %s'),
    ErrorNumber.NO_DOMAIN_CHECKPOINT: ('Domain checkpoint not found', 'Domain checkpoint not found: %s'),
    ErrorNumber.NO_DOMAIN_BACKUP: ('Domain backup job id not found', 'Domain backup job id not found: %s'),
    ErrorNumber.INVALID_NETWORK_PORT: ('Invalid network port pointer', 'Invalid network port pointer: %s'),
    ErrorNumber.NETWORK_PORT_EXIST: ('this network port exists already', 'network port %s exists already'),
    ErrorNumber.NO_NETWORK_PORT: ('network port not found', 'network port not found: %s'),
    ErrorNumber.NO_HOSTNAME: ('no hostname found', 'no hostname found: %s'),
    ErrorNumber.CHECKPOINT_INCONSISTENT: ('checkpoint inconsistent', 'checkpoint inconsistent: %s'),
    ErrorNumber.MULTIPLE_DOMAINS: ('multiple matching domains found', 'multiple matching domains found: %s'),
}

#: domain -> libvirt's human name of the domain (virErrorDomainTypeToString)
DOMAIN_NAMES: tuple[str, ...] = (
    '',
    'Xen Driver',
    'Xen Daemon',
    'Xen Store',
    'S-Expression',
    'XML Util',
    'Domain',
    'XML-RPC',
    'Proxy Daemon',
    'Config File',
    'QEMU Driver',
    'Network',
    'Test Driver',
    'Remote Driver',
    'OpenVZ Driver',
    'Xen XM Driver',
    'Linux Statistics',
    'LXC Driver',
    'Storage Driver',
    'Network Driver',
    'Domain Config',
    'User Mode Linux Driver',
    'Node Device Driver',
    'Xen Inotify Driver',
    'Security Driver',
    'VirtualBox Driver',
    'Network Interface Driver',
    'Open Nebula Driver',
    'ESX Driver',
    'Power Hypervisor Driver',
    'Secrets Driver',
    'CPU Driver',
    'XenAPI Driver',
    'Network Filter Driver',
    'Lifecycle Hook',
    'Domain Snapshot',
    'Audit Utils',
    'Sysinfo Utils',
    'I/O Stream Utils',
    'VMware Driver',
    'Event Loop',
    'Xen Light Driver',
    'Lock Driver',
    'Hyper-V Driver',
    'Capabilities Utils',
    'URI Utils',
    'Authentication Utils',
    'DBus Utils',
    'Parallels Cloud Server',
    'Device Config',
    'SSH transport layer',
    'Lock Space',
    'Init control',
    'Identity',
    'Cgroup',
    'Access Manager',
    'Systemd',
    'Bhyve',
    'Crypto',
    'Firewall',
    'Polkit',
    'Thread jobs',
    'Admin Interface',
    'Log Manager',
    'Xen XL Config',
    'Perf',
    'Libssh transport layer',
    'Resource control',
    'FirewallD',
    'Domain Checkpoint',
    'TPM',
    'BPF',
    'Cloud-Hypervisor Driver',
)

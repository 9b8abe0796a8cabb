"""Device hot-plug and the monitoring/tuning commands added over the public API, against
real virsh on test:///default (libvirt 9.0's test driver refuses hot-plug: pyvirsh must
print the same refusals, in the same order of checks)."""

from __future__ import annotations

import pytest

from .harness import assert_same

URI = ["-c", "test:///default"]

SCRIPTS = {
    "attach-detach": "attach-device test dom1.xml; attach-device test dom1.xml --config; "
                     "attach-device test dom1.xml --current; attach-device test dom1.xml --live; "
                     "attach-device test dom1.xml --persistent; attach-device nope dom1.xml; "
                     "attach-device test /nonexist; attach-device nope /nonexist --current --live; "
                     "attach-device nope /nonexist --current --config; "
                     "attach-device nope /nonexist --current --persistent; detach-device test dom1.xml; "
                     "detach-device test dom1.xml --persistent; detach-device test dom1.xml --config; "
                     "destroy test; attach-device test dom1.xml --persistent; "
                     "detach-device test dom1.xml --persistent",
    "update-alias": "update-device test dom1.xml; update-device test dom1.xml --force; "
                    "update-device test /nonexist; update-device test dom1.xml --current --persistent; "
                    "detach-device-alias test ua-x; detach-device-alias test ua-x --config; "
                    "detach-device-alias nope x --current --live",
    "readonly": "connect test:///default --readonly; attach-device test dom1.xml; "
                "detach-device test dom1.xml --config; detach-device-alias test x; "
                "update-device test dom1.xml --force",
    "cpu-stats": "cpu-stats test; cpu-stats test --total; cpu-stats test --start 1 --count 1; "
                 "cpu-stats test --start 20; cpu-stats test --count 0; cpu-stats test --start -1; "
                 "cpu-stats test --count 5 --start 1; cpu-stats test --count 2 --start 1; "
                 "cpu-stats test --count 1 --total; cpu-stats test --start x; cpu-stats nope --start x; "
                 "cpu-stats test --count -1; destroy test; cpu-stats test; cpu-stats test --total; "
                 "cpu-stats test --count 1; cpu-stats test --start 1 --total",
    "node-pages": "nodecpumap; nodecpumap --pretty; freepages; freepages --all; freepages 0; "
                  "freepages --pagesize 4K; freepages 1 2M; freepages 5 4K; freepages 0 3K; "
                  "freepages --all --cellno 0; freepages 0 4K --all; freepages 0 x; freepages -1 4K; "
                  "freepages -2 4K; freepages x 4K; freepages --all --pagesize 2M; freepages 0 1; "
                  "freepages 0 5000G; setmem test 99999999999999T",
    "dump": "dump test /tmp/pyvirsh-dump.core; dump test /tmp/pyvirsh-dump.core --live; "
            "dump test /tmp/pyvirsh-dump.core --reset; dump test /tmp/pyvirsh-dump.core --format elf; "
            "dump test /tmp/pyvirsh-dump.core --memory-only --format bogus; "
            "dump test /tmp/pyvirsh-dump.core --memory-only --format kdump-zlib; "
            "dump test /tmp/pyvirsh-dump.core --live --crash; dump nope /tmp/x; dump test /nonexistent/dir/x; "
            "dump test /tmp/pyvirsh-dump.core --crash; domstate test --reason; dump test /tmp/pyvirsh-dump.core",
    "lifecycle-action": "set-lifecycle-action test reboot restart; set-lifecycle-action test bad restart; "
                        "set-lifecycle-action test crash bogus; set-lifecycle-action test crash coredump-destroy --config; "
                        "set-lifecycle-action test poweroff rename-restart; set-lifecycle-action nope poweroff destroy; "
                        "set-lifecycle-action nope bad x; set-lifecycle-action test bad x --current --live; "
                        "set-lifecycle-action test reboot preserve --live --config; "
                        "set-lifecycle-action test Reboot Destroy; dumpxml test --inactive; dumpxml test; destroy test; "
                        "set-lifecycle-action test crash preserve --live",
    "signals-password": "send-process-signal test 1 kill; send-process-signal test 1 sig_kill; "
                        "send-process-signal test 1 9; send-process-signal test 1 bogus; send-process-signal test -1 1; "
                        "send-process-signal test x 1; send-process-signal test 1 100; send-process-signal nope 1 x; "
                        "send-process-signal test 1 SIGTERM; send-process-signal test 1 rt32; "
                        "send-process-signal test 1 -5; send-process-signal test 1 sig; send-process-signal test 1 0; "
                        "send-process-signal test 99999999999 0; send-process-signal test 1 ' 7'; "
                        "send-process-signal test 1 65; set-user-password test root pass; "
                        "set-user-password test root pass --encrypted; set-user-password nope root pass; destroy test; "
                        "send-process-signal test 1 1; set-user-password test root x",
    "getlink": "domif-getlink test testnet0; domif-getlink test aa:bb:cc:dd:ee:ff --config; domif-getlink test nope; "
               "domif-getlink test AA:BB:CC:DD:EE:FF; domif-getlink test 00:11:22:33:44:55; "
               "domif-getlink test a:bb:cc:dd:ee:ff; destroy test; domif-getlink test testnet0",
    "domiftune": "domiftune test testnet0; domiftune test testnet0 --inbound 100,200,300; domiftune test testnet0; "
                 "domiftune test aa:bb:cc:dd:ee:ff --config; domiftune test nope; "
                 "domiftune test testnet0 --outbound 1,2,3,4; domiftune test testnet0 --inbound x; "
                 "domiftune test testnet0 --inbound 1,2,3,4,5; domiftune test testnet0 --inbound 100,,300; "
                 "domiftune test testnet0 --inbound 0,5; domiftune test testnet0 --inbound 99999999999; "
                 "domiftune test testnet0 --inbound ''; domiftune test testnet0 --outbound 7 --config; "
                 "domiftune test testnet0 --config; domiftune nope x --inbound x; domiftune test nope --inbound 5; "
                 "domiftune test testnet0 --inbound -5; domiftune test testnet0 --inbound 5,x; "
                 "domiftune test testnet0 --outbound 0,5; domiftune test testnet0 --inbound 0,0,0,9; "
                 "domiftune test testnet0 --current --live",
    "iothreadinfo": "iothreadinfo test; iothreadinfo test --config; define iothreads.xml; iothreadinfo io; "
                    "start io; iothreadinfo io; iothreadinfo io --config; iothreadinfo nope; "
                    "iothreadinfo io --live --config; iothreadinfo io --current --live; define iothreads2.xml; "
                    "iothreadinfo io2; iothreadinfo io2 --live",
    # libvirt lists several domains in hash order (random per process): listings over all
    # domains run while 'test' is alone, or with filters that select a single domain
    "domstats": "domstats; domstats --raw --vcpu --balloon --block --interface --cpu-total --perf --iothread "
                "--memory --dirtyrate --vm test; domstats --list-inactive; domstats nope; domstats --enforce --perf test; "
                "domstats --enforce --iothread test; domstats --enforce --state --vm; domstats --iothread --state; "
                "domstats --state --list-active --list-inactive; domstats --list-persistent --raw; "
                "domstats --list-shutoff --list-paused --list-other --list-running; define iothreads.xml; "
                "domstats --iothread io; domstats --list-inactive; start io; domstats --list-transient; "
                "domstats test test io; domstats --backing --nowait test; domstats --state --list-running test; "
                "suspend io; domstats --list-paused; destroy io; domstats --list-shutoff; domstats --list-shutoff io; "
                "domstats 1 6695eb01-f6a4-8304-79aa-97f2502e193f",
    "blkdeviotune": "blkdeviotune test vda; blkdeviotune test vda --config; blkdeviotune test vdz; "
                    "blkdeviotune test vda --total-bytes-sec 10; "
                    "blkdeviotune test vda --total-bytes-sec 10 --total-bytes-sec-max 20; blkdeviotune test vda; "
                    "blkdeviotune test vda --group-name g1 --read-iops-sec 5; blkdeviotune test vda --live; "
                    "blkdeviotune test vda --total-bytes-sec 1K --total-bytes-sec-max 2M; "
                    "blkdeviotune test vda --read-iops-sec x; blkdeviotune test vda --total-bytes-sec x; "
                    "blkdeviotune test vda --group-name ''; blkdeviotune test vda --group-name g1; "
                    "blkdeviotune test vda --size-iops-sec 5 --total-iops-sec-max-length 3; "
                    "blkdeviotune test vda --total-bytes-sec -1; blkdeviotune nope vda --current --live; "
                    "blkdeviotune nope vda --read-iops-sec x; blkdeviotune test vda --read-iops-sec -1; "
                    "blkdeviotune test vda --total-bytes-sec 5Q; blkdeviotune test /guest/diskimage1; "
                    "blkdeviotune test vda --config --read-iops-sec 7 --read-iops-sec-max 9; "
                    "blkdeviotune test vda --config; blkdeviotune test vda",
}


@pytest.mark.parametrize("quiet", [False, True], ids=["plain", "quiet"])
@pytest.mark.parametrize("name", sorted(SCRIPTS))
def test_default_driver(name: str, quiet: bool) -> None:
    assert_same([*(["-q"] if quiet else []), *URI, SCRIPTS[name]])

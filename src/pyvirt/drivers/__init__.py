"""Built-in hypervisor drivers, one package each (test, qemu, remote)."""

"""A tiny real guest for the QEMU driver's tests: Debian's kernel booted by PVH plus a
busybox initramfs that prints a marker, ticks every second and powers off on the ACPI
power button. ``from guest.build import ensure_guest`` (pytest puts ``tests/`` on sys.path).
"""

"""placeholder"""
def run_interactive(ctl):
    return True

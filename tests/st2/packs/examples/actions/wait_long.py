import time

from st2common.runners.base_action import Action


class WaitLong(Action):
    def run(self, seconds):
        print("waiting", flush=True)
        time.sleep(seconds)
        return seconds

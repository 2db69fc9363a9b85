from st2common.runners.base_action import Action


class CheckQuota(Action):
    def run(self, cores, size, zone):
        if cores > 8:
            return (False, {"reason": "over quota", "cores": cores})
        if cores < 0:
            raise ValueError("negative cores")
        return (True, {"cores": cores, "size": size, "zone": zone})

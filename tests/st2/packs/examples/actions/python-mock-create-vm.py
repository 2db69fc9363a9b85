import random

from st2common.runners.base_action import Action
from vmnames import vm_id_for


class MockCreateVM(Action):
    def run(self, vm_name, ip, cpu_cores, memory_mb):
        self.logger.info("creating %s", vm_name)
        print(f"creating {vm_name} with {cpu_cores} cores")
        return {
            "vm_id": vm_id_for(vm_name, random.Random(7)),
            "ip": ip,
            "cpu_cores": cpu_cores,
            "memory_mb": memory_mb,
            "region": self.config.get("region"),
        }

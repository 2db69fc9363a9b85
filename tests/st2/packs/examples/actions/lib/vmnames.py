def vm_id_for(name, rng):
    return f"vm-{name}-{rng.randint(0, 9999):04d}"

"""The "learns" line of the CPU-scale studies (book chapters 7.5 and 8.4): the pilots that
search for a cheaper setting of the neutral baseline, the line they are judged against (fixed
before they ran; ``results/<env>/pilots.md``), the setting a study freezes from them, and what
the frozen study then shows. Scores come from ``simbelief_edu.report``."""

from __future__ import annotations

from simbelief_edu.report import compare, scores, tasks

FAST_TARGET = 1.0  # Cheetah-Vel: targets at least this fast (m/s) need running
CLEARLY_ABOVE = 0.2  # Cheetah-Vel: how far above doing nothing "learns" starts
REACHED_SHARE = 0.3  # Panda-Reach: share of test tasks reached in episode 2


def learns_line(run: dict) -> tuple[float, float, int]:
    """The pilots' "learns" line (``results/<env>/pilots.md``), fixed before they ran:
    (the run's score, doing nothing's score, tasks counted) on its test tasks in episode 2.
    Cheetah-Vel: mean hold success over the targets of at least ``FAST_TARGET``;
    Panda-Reach: the share of tasks reached (hold success above 0). Doing nothing is
    ``evaluate.zero_action_success`` on the same tasks with the run's own task knobs."""
    from simbelief_edu.configs import make_env
    from simbelief_edu.evaluate import zero_action_success
    from simbelief_edu.files import config_from_dict

    cfg = config_from_dict(run["config"], run["folder"], "the run folder is damaged")
    if cfg.env not in ("cheetah-vel-sparse", "panda-reach-sparse"):
        raise ValueError(f"no 'learns' line for env '{cfg.env}' (Cheetah-Vel, Panda-Reach only)")
    test = tasks(run)  # in the order of the scores
    success = scores([run], "test", "success", 1)[0]
    idle = zero_action_success(make_env(cfg), test)
    if cfg.env == "cheetah-vel-sparse":
        fast = test[:, 0] >= FAST_TARGET
        return float(success[fast].mean()), float(idle[fast].mean()), int(fast.sum())
    return float((success > 0).mean()), float((idle > 0).mean()), len(test)


def learns(env: str, score: float, idle: float) -> bool:
    """Whether ``learns_line``'s (score, idle) is at or above the line of ``env``."""
    if env == "cheetah-vel-sparse":
        return score >= idle + CLEARLY_ABOVE
    return score >= REACHED_SHARE


def same_setting(a: dict, b: dict) -> bool:
    """Whether runs ``a`` and ``b`` were trained with the same env, agent, seed and experiment
    (``configs.preset_diff``): the same run twice (a study seed that repeats a pilot)."""
    from simbelief_edu.configs import preset_diff

    key = ("env", "agent", "seed")
    return [a["config"][k] for k in key] == [b["config"][k] for k in key] and preset_diff(
        a["config"]
    ) == preset_diff(b["config"])


def frozen_pilot(env: str, lines: dict[str, tuple]) -> tuple[str, bool]:
    """The pilot whose setting a CPU-scale study freezes (``results/<env>/pilots.md``), and
    whether it met the "learns" line: the first pilot, in the order of their names, at or above
    the line; if none is, the one furthest above doing nothing (score minus doing nothing's
    score), the first of ties. ``lines`` maps each pilot's name to its ``learns_line``."""
    if not lines:
        raise ValueError(f"no pilots of '{env}' to freeze a setting from")
    names = sorted(lines)
    met = [name for name in names if learns(env, *lines[name][:2])]
    if met:
        return met[0], True
    return max(names, key=lambda name: lines[name][0] - lines[name][1]), False


def line_verdicts(study: dict[str, list[dict]]) -> tuple[dict[str, bool], str]:
    """Every run of ``study`` against its env's "learns" line: (run folder -> ``learns``, one
    printable line per run with its score, doing nothing's score and the verdict)."""
    at_line, lines = {}, []
    for rs in study.values():
        for r in rs:
            score, idle, n = learns_line(r)
            at_line[r["folder"]] = learns(r["config"]["env"], score, idle)
            verdict = "learns" if at_line[r["folder"]] else "below the line"
            lines.append(f"{r['folder']:16s} {score:.2f} against {idle:.2f} ({n} tasks): {verdict}")
    return at_line, "\n".join(lines)


def study_shows(study: dict[str, list[dict]], at_line: dict[str, bool]) -> str:
    """What a CPU-scale study shows: per agent, the runs at the "learns" line (``at_line``: run
    folder -> ``learns``), the mean hold success per episode on the test and OOD tasks (over
    runs and tasks), and on a second line the mean return per episode; then ``compare`` of
    SimBelief and VariBAD on episode-2 test success, test return and OOD success."""
    lines = []
    for agent, rs in sorted(study.items()):
        n_at = sum(at_line[r["folder"]] for r in rs)
        test, ood, test_ret, ood_ret = ([scores(rs, split, metric, e).mean() for e in (0, 1)]
                                        for metric in ("success", "return")
                                        for split in ("test", "ood"))  # fmt: skip
        lines.append(f"{agent:9s}: {n_at} of {len(rs)} runs at the learns line; mean hold success "
                     f"test ep1 {test[0]:.2f}, ep2 {test[1]:.2f}; "
                     f"OOD ep1 {ood[0]:.2f}, ep2 {ood[1]:.2f}")  # fmt: skip
        lines.append(f"{'':11s}mean return test ep1 {test_ret[0]:.1f}, ep2 {test_ret[1]:.1f}; "
                     f"OOD ep1 {ood_ret[0]:.1f}, ep2 {ood_ret[1]:.1f}")  # fmt: skip
    if {"simbelief", "varibad"} <= study.keys():
        sb, vb = study["simbelief"], study["varibad"]
        for split, metric in (("test", "success"), ("test", "return"), ("ood", "success")):
            said = compare(sb, vb, "simbelief", "varibad", metric, split=split)
            lines.append(f"{split} ep-2 {metric}: {said}")
    return "\n".join(lines)

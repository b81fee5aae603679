//! The scheduler's environment: a Slurm array task (which shard a `builder` task builds), the
//! cores a process may use, and a tracker's `HOST:PORT`. Plain values and one-line messages;
//! the CLI turns them into its flags' errors.

/// A Slurm array task, from `SLURM_ARRAY_TASK_ID`, `_COUNT`, `_MIN` (default 0) and `_STEP`
/// (default 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ArrayTask {
    /// `SLURM_ARRAY_TASK_ID`.
    pub id: usize,
    /// `SLURM_ARRAY_TASK_COUNT`.
    pub count: usize,
    /// `SLURM_ARRAY_TASK_MIN`.
    pub min: usize,
    /// `SLURM_ARRAY_TASK_STEP` (at least 1).
    pub step: usize,
}

impl ArrayTask {
    /// The array task this process runs as, if any (`SLURM_ARRAY_TASK_ID` and `_COUNT` both
    /// set); a variable that is not a number is an error naming it.
    pub fn from_env() -> Result<Option<Self>, String> {
        Self::from_vars(|name| std::env::var(name).ok())
    }

    /// [`from_env`](Self::from_env) with the variables looked up by `var`.
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> Result<Option<Self>, String> {
        let (Some(id), Some(count)) = (var("SLURM_ARRAY_TASK_ID"), var("SLURM_ARRAY_TASK_COUNT"))
        else {
            return Ok(None);
        };
        let num = |name: &str, v: Option<String>, default: usize| -> Result<usize, String> {
            v.map_or(Ok(default), |v| {
                v.trim()
                    .parse()
                    .map_err(|_| format!("{name}={v:?} is not a number"))
            })
        };
        Ok(Some(ArrayTask {
            id: num("SLURM_ARRAY_TASK_ID", Some(id), 0)?,
            count: num("SLURM_ARRAY_TASK_COUNT", Some(count), 1)?,
            min: num("SLURM_ARRAY_TASK_MIN", var("SLURM_ARRAY_TASK_MIN"), 0)?,
            step: num("SLURM_ARRAY_TASK_STEP", var("SLURM_ARRAY_TASK_STEP"), 1)?.max(1),
        }))
    }

    /// The task's place among the array's tasks, from 0 (`(id - min) / step`).
    pub fn index(&self) -> usize {
        self.id.saturating_sub(self.min) / self.step
    }
}

/// The threads a process uses by default: the cores it may run on.
pub fn default_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// `HOST:PORT` (the port after the last colon), or `None`.
pub fn host_port(s: &str) -> Option<(String, u16)> {
    let (host, port) = s.rsplit_once(':')?;
    Some((host.to_string(), port.parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_array_task_maps_to_its_index_and_bad_numbers_are_named() {
        let vars = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                (pairs.iter())
                    .find(|(k, _)| *k == name)
                    .map(|(_, v)| v.to_string())
            }
        };
        assert_eq!(ArrayTask::from_vars(vars(&[])), Ok(None));
        let t = ArrayTask::from_vars(vars(&[
            ("SLURM_ARRAY_TASK_ID", "7"),
            ("SLURM_ARRAY_TASK_COUNT", "3"),
            ("SLURM_ARRAY_TASK_MIN", "3"),
            ("SLURM_ARRAY_TASK_STEP", "2"),
        ]))
        .unwrap()
        .unwrap();
        assert_eq!(t.index(), 2);
        let e = ArrayTask::from_vars(vars(&[
            ("SLURM_ARRAY_TASK_ID", "x"),
            ("SLURM_ARRAY_TASK_COUNT", "3"),
        ]))
        .unwrap_err();
        assert!(e.contains("SLURM_ARRAY_TASK_ID=\"x\""), "{e}");
        assert_eq!(host_port("10.0.0.5:9091"), Some(("10.0.0.5".into(), 9091)));
        assert_eq!(host_port("10.0.0.5"), None);
        assert_eq!(host_port("h:99999"), None);
    }
}

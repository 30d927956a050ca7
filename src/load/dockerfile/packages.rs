//! Packages a `RUN` line installs, so tool presence can credit `apt-get install -y curl` to the
//! image. Only the OS package managers: those are what put probe tools (curl, wget, nc, pgrep)
//! on the `PATH`.

/// (manager, install verbs) pairs. The manager is matched on the program's base name.
const MANAGERS: &[(&str, &[&str])] = &[
    ("apt-get", &["install"]),
    ("apt", &["install"]),
    ("apk", &["add"]),
    ("dnf", &["install"]),
    ("yum", &["install"]),
    ("microdnf", &["install"]),
    ("tdnf", &["install"]),
    ("zypper", &["install", "in"]),
    ("pacman", &["-S", "-Sy", "-Syu"]),
];

/// Options of these managers that take a separate value (`apk add --repository URL curl`).
const OPTIONS_WITH_VALUE: &[&str] = &[
    "-o",
    "--option",
    "-t",
    "--target-release",
    "--repository",
    "-X",
    "--virtual",
    "-t",
    "--setopt",
    "--enablerepo",
    "--disablerepo",
    "--releasever",
    "--installroot",
];

/// Package names installed by the shell text of a RUN instruction (or its heredoc body), in
/// order of appearance.
pub fn installed(script: &str) -> Vec<String> {
    let mut out = Vec::new();
    for command in script.split(['\n', ';', '&', '|', '(', ')']) {
        let words: Vec<&str> = command.split_whitespace().collect();
        let Some(at) = words.iter().position(|w| {
            let base = w.rsplit('/').next().unwrap_or(w);
            MANAGERS.iter().any(|(m, _)| *m == base)
        }) else {
            continue;
        };
        let base = words[at].rsplit('/').next().unwrap_or(words[at]);
        let verbs = MANAGERS
            .iter()
            .find(|(m, _)| *m == base)
            .map_or(&[][..], |(_, v)| *v);
        let mut rest = words[at + 1..].iter();
        // Options may come before the verb (`apt-get -y install curl`).
        let mut found_verb = false;
        for w in rest.by_ref() {
            if verbs.contains(w) {
                found_verb = true;
                break;
            }
            if !w.starts_with('-') {
                break;
            }
        }
        if !found_verb {
            continue;
        }
        let mut skip_value = false;
        for w in rest {
            if skip_value {
                skip_value = false;
                continue;
            }
            if w.starts_with('-') {
                skip_value = OPTIONS_WITH_VALUE.contains(w);
                continue;
            }
            let w = w.trim_matches(['"', '\'', '\\']);
            if w.is_empty() || w.contains('$') || w.contains('/') || w.ends_with(".rpm") {
                continue;
            }
            let name = w.split(['=', '~', '>', '<']).next().unwrap_or(w);
            // dnf/yum arch suffixes and version globs (`curl-7*`) stay as written but trimmed.
            let name = name.trim_end_matches('*');
            if !name.is_empty() {
                out.push(name.to_string());
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::installed;

    #[test]
    fn common_install_lines() {
        assert_eq!(
            installed(
                "apt-get update && apt-get install -y --no-install-recommends curl=7.88.1-10 ca-certificates && rm -rf /var/lib/apt/lists/*"
            ),
            vec!["curl", "ca-certificates"]
        );
        assert_eq!(
            installed("apk add --no-cache wget~1.21 netcat-openbsd"),
            vec!["wget", "netcat-openbsd"]
        );
        assert_eq!(
            installed("dnf -y install procps-ng && dnf clean all"),
            vec!["procps-ng"]
        );
        assert_eq!(
            installed("apk add --virtual .build-deps gcc; apk add tini"),
            vec!["gcc", "tini"]
        );
    }

    #[test]
    fn other_commands_install_nothing() {
        assert!(installed("pip install requests && npm install -g curl").is_empty());
        assert!(installed("echo apt-get").is_empty());
        assert!(installed("apt-get remove curl").is_empty());
    }
}

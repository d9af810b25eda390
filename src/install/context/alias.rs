//! Which names may alias which units (systemd 252 `src/shared/install.c` and
//! `src/basic/unit-file.c`: unit_type_may_alias(), unit_type_may_template(),
//! unit_validate_alias_symlink_or_warn()).

use crate::unit::name::{NameKind, UnitName, UnitType};

pub fn may_template(t: UnitType) -> bool {
    matches!(
        t,
        UnitType::Service | UnitType::Socket | UnitType::Target | UnitType::Timer | UnitType::Path
    )
}

pub fn may_alias(t: UnitType) -> bool {
    matches!(
        t,
        UnitType::Service
            | UnitType::Socket
            | UnitType::Target
            | UnitType::Device
            | UnitType::Timer
            | UnitType::Path
    )
}

/// unit_validate_alias_symlink_or_warn(): may a symlink named `src` stand for unit `dst`?
pub fn validate_alias(src: &str, dst: &str) -> Result<(), AliasProblem> {
    let s = UnitName::parse(src).map_err(|_| AliasProblem::InvalidSource)?;
    if !may_alias(s.unit_type()) {
        return Err(AliasProblem::NotAllowed);
    }
    if s.kind() != NameKind::Plain && !may_template(s.unit_type()) {
        return Err(AliasProblem::NoTemplates(s.unit_type()));
    }
    if src == dst {
        return Err(AliasProblem::SelfAlias);
    }
    let d = UnitName::parse(dst).map_err(|_| AliasProblem::InvalidTarget)?;
    if !(s.kind() == d.kind() || (s.kind() == NameKind::Instance && d.kind() == NameKind::Template))
    {
        return Err(AliasProblem::KindMismatch);
    }
    if d.kind() == NameKind::Instance && s.instance() != d.instance() {
        return Err(AliasProblem::InstanceMismatch);
    }
    if s.unit_type() != d.unit_type() {
        return Err(AliasProblem::SuffixMismatch);
    }
    Ok(())
}

/// Why an alias symlink is refused, in the order 252 checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AliasProblem {
    /// EINVAL: the source is not a unit name.
    InvalidSource,
    /// EINVAL: units of the source's type cannot have aliases.
    NotAllowed,
    /// EINVAL: units of the source's type cannot be templates.
    NoTemplates(UnitType),
    /// ELOOP: an alias to itself.
    SelfAlias,
    /// EXDEV: the target is not a unit name.
    InvalidTarget,
    /// EXDEV: plain, template and instance do not fit together.
    KindMismatch,
    /// EXDEV: two instances with different instance names.
    InstanceMismatch,
    /// EXDEV: different unit types.
    SuffixMismatch,
}

impl AliasProblem {
    /// Whether install.c fails with EINVAL (the source's fault) rather than EXDEV.
    pub fn is_invalid_source(self) -> bool {
        matches!(
            self,
            AliasProblem::InvalidSource | AliasProblem::NotAllowed | AliasProblem::NoTemplates(_)
        )
    }

    /// 252's notice, naming the unit (install.c passes the unit name, not the file's path);
    /// none for a self-alias, which callers take for a linked file rather than a mistake.
    pub fn message(self, unit: &str, src: &str, dst: &str) -> Option<String> {
        let text = match self {
            AliasProblem::InvalidSource => {
                format!("{unit}: not a valid unit name \"{src}\": Invalid argument")
            }
            AliasProblem::NotAllowed => {
                format!("{unit}: symlinks are not allowed for units of this type, rejecting.")
            }
            AliasProblem::NoTemplates(t) => {
                format!("{unit}: templates not allowed for {t} units, rejecting.")
            }
            AliasProblem::SelfAlias => return None,
            AliasProblem::InvalidTarget => format!(
                "{unit} points to \"{dst}\" which is not a valid unit name: Invalid cross-device link"
            ),
            AliasProblem::KindMismatch => format!(
                "{unit}: symlink target name type \"{dst}\" does not match source, rejecting."
            ),
            AliasProblem::InstanceMismatch => format!(
                "{unit}: unit symlink target \"{dst}\" instance name doesn't match, rejecting."
            ),
            AliasProblem::SuffixMismatch => format!(
                "{unit}: symlink target \"{dst}\" has incompatible suffix, rejecting."
            ),
        };
        Some(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alias_names_must_fit_their_unit() {
        assert_eq!(validate_alias("b.service", "a.service"), Ok(()));
        assert_eq!(
            validate_alias("a.service", "a.service"),
            Err(AliasProblem::SelfAlias)
        );
        assert_eq!(
            validate_alias("b.socket", "a.service"),
            Err(AliasProblem::SuffixMismatch)
        );
        assert_eq!(
            validate_alias("b.service", "a@.service"),
            Err(AliasProblem::KindMismatch)
        );
        assert_eq!(
            validate_alias("b.service", "bad name"),
            Err(AliasProblem::InvalidTarget)
        );
        assert_eq!(validate_alias("b@x.service", "a@.service"), Ok(()));
        assert_eq!(
            validate_alias("b@x.service", "a@y.service"),
            Err(AliasProblem::InstanceMismatch)
        );
        assert_eq!(
            validate_alias("b.mount", "a.mount"),
            Err(AliasProblem::NotAllowed)
        );
    }
}

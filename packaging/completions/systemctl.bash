# bash completion for systemctl-shim's systemctl: its verbs and options (not systemd's larger
# set), and unit names from the unit files and the running manager, asked of systemctl itself as
# systemd's own completion does. Needs no bash-completion helpers; install.sh puts it in
# /etc/bash_completion.d/, which bash-completion reads before it would load systemd's.
# shellcheck shell=bash

_systemctl_shim_verbs='
    list-unit-files enable disable reenable mask unmask preset preset-all is-enabled link revert
    get-default set-default add-wants add-requires cat show daemon-reload daemon-reexec
    list-units list-sockets list-timers list-jobs list-dependencies
    start stop reload restart try-restart reload-or-restart try-reload-or-restart
    reload-or-try-restart force-reload condrestart condreload isolate kill clean reset-failed
    is-active check is-failed status help set-property set-environment unset-environment import-environment
    show-environment is-system-running default halt poweroff reboot exit edit init'

_systemctl_shim_options='
    --version --quiet --system --user --global --root= --image= --no-reload --runtime --force
    --full --no-pager --no-legend --legend= --plain --type= --state= --all --now --property=
    --value --preset-mode= --no-block --no-ask-password --no-wall --wait --signal= --kill-whom=
    --ignore-dependencies --job-mode= --machine= --host= --marked --lines= --output= --recursive
    --reverse --after --before --failed --show-types --dry-run --ignore-inhibitors
    --check-inhibitors= --firmware-setup --timestamp= --what= --with-dependencies
    --show-transaction --read-only --mkdir --message= --init --unit= --help
    -q -f -l -t -a -p -P -s -M -H -n -o -r -i -T -h'

# Options whose value is the next word when not given with '='.
_systemctl_shim_takes_value='--root --image --type -t --state --property -p -P --preset-mode
    --signal -s --kill-whom --kill-who --job-mode --machine -M --host -H --lines -n --output -o
    --timestamp --what --message --unit'

# _systemctl_shim_in WORD LIST: WORD is one of the words of LIST.
_systemctl_shim_in() {
    local w
    for w in $2; do
        [[ $w == "$1" ]] && return 0
    done
    return 1
}

# _systemctl_shim_values OPTION: the values OPTION takes, where they are a fixed set.
_systemctl_shim_values() {
    case $1 in
        --type | -t)
            echo service socket target device mount automount swap timer path slice scope \
                help loaded not-found bad-setting error merged masked stub
            ;;
        --state)
            echo active inactive failed activating deactivating reloading running exited dead \
                listening waiting enabled disabled static masked indirect generated transient \
                alias linked enabled-runtime linked-runtime masked-runtime
            ;;
        --job-mode)
            echo fail replace replace-irreversibly isolate ignore-dependencies \
                ignore-requirements flush triggering
            ;;
        --preset-mode) echo full enable-only disable-only ;;
        --kill-whom | --kill-who) echo main control all ;;
        --legend | --check-inhibitors) echo yes no ;;
        --signal | -s)
            echo SIGHUP SIGINT SIGQUIT SIGKILL SIGUSR1 SIGUSR2 SIGTERM SIGCONT SIGSTOP \
                SIGRTMIN+3 SIGRTMIN+4 SIGRTMIN+5
            ;;
        --output | -o)
            echo short short-iso short-precise short-unix cat with-unit json json-pretty
            ;;
        --timestamp) echo pretty unix us utc us+utc ;;
        --what) echo configuration state cache logs runtime fdstore all ;;
    esac
}

# _systemctl_shim_units [LIST-UNIT-FILES OPTIONS...]: unit names for the command line being
# completed, in the same scope (--user, --global) and root (--root) as it names.
_systemctl_shim_units() {
    local args=() i w
    for ((i = 1; i < ${#COMP_WORDS[@]}; i++)); do
        w=${COMP_WORDS[i]}
        case $w in
            --user | --global | --system) args+=("$w") ;;
            --root=?*) args+=("$w") ;;
            --root)
                # "--root=DIR" arrives as three words ('=' breaks words), "--root DIR" as two
                if [[ ${COMP_WORDS[i + 1]-} == = ]]; then
                    args+=("--root=${COMP_WORDS[i + 2]-}")
                else
                    args+=("--root=${COMP_WORDS[i + 1]-}")
                fi
                ;;
        esac
    done
    {
        systemctl "${args[@]}" --full --legend=no --no-pager --plain list-unit-files "$@"
        # the running manager's units, transient and instances included; nothing without one
        if (($# == 0)); then
            systemctl "${args[@]}" --full --legend=no --no-pager --plain list-units --all
        fi
    } 2>/dev/null | while read -r unit _; do
        printf '%s\n' "$unit"
    done
}

# _systemctl_shim_reply WORDS: COMPREPLY gets those of the whitespace-separated WORDS that start
# with $cur. Not compgen -W, which would expand the backslashes of escaped unit names (\x2d).
_systemctl_shim_reply() {
    local words=() w
    read -r -d '' -a words <<<"$1"
    COMPREPLY=()
    for w in "${words[@]}"; do
        [[ $w == "$cur"* ]] && COMPREPLY+=("$w")
    done
    return 0
}

# _systemctl_shim_reply_units [LIST-UNIT-FILES OPTIONS...]: the unit names that start with $cur,
# quoted on insertion as file names are (a unit's "\x2d" must reach systemctl as typed).
_systemctl_shim_reply_units() {
    _systemctl_shim_reply "$(_systemctl_shim_units "$@")"
    compopt -o filenames 2>/dev/null
    return 0
}

_systemctl_shim() {
    local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]-}
    local i w verb='' verb_at=0 skip='' after_eq=''

    # OPTION=VALUE: bash splits it into OPTION, '=', VALUE
    if [[ $prev == = && $COMP_CWORD -ge 2 ]]; then
        prev=${COMP_WORDS[COMP_CWORD - 2]}
        after_eq=1
    elif [[ $cur == = ]]; then
        cur=''
        after_eq=1
    fi
    if [[ $prev == --root || $prev == --image ]] && [[ $cur != -* ]]; then
        # shellcheck disable=SC2207 # paths with newlines are not worth the complexity
        COMPREPLY=($(compgen -d -- "$cur"))
        return
    fi
    if [[ -n $after_eq ]] || _systemctl_shim_in "$prev" "$_systemctl_shim_takes_value"; then
        _systemctl_shim_reply "$(_systemctl_shim_values "$prev")"
        return
    fi

    # the verb: the first word that is neither an option nor an option's value
    for ((i = 1; i < COMP_CWORD; i++)); do
        w=${COMP_WORDS[i]}
        if [[ -n $skip ]]; then
            skip=''
            [[ $w == = ]] && skip=1
            continue
        fi
        case $w in
            -*=*) ;;
            =) skip=1 ;;
            -*) _systemctl_shim_in "$w" "$_systemctl_shim_takes_value" && skip=1 ;;
            *)
                verb=$w
                verb_at=$i
                break
                ;;
        esac
    done

    if [[ $cur == -* ]]; then
        _systemctl_shim_reply "$_systemctl_shim_options"
        [[ ${COMPREPLY[0]-} == *= ]] && compopt -o nospace 2>/dev/null
        return
    fi
    if [[ -z $verb ]]; then
        _systemctl_shim_reply "$_systemctl_shim_verbs"
        return
    fi

    case $verb in
        enable) _systemctl_shim_reply_units --state=disabled,indirect ;;
        disable) _systemctl_shim_reply_units --state=enabled,enabled-runtime,linked,linked-runtime,alias ;;
        unmask) _systemctl_shim_reply_units --state=masked,masked-runtime ;;
        isolate | set-default) _systemctl_shim_reply_units --type=target ;;
        set-property)
            # the unit, then NAME=VALUE assignments
            if ((COMP_CWORD == verb_at + 1)); then
                _systemctl_shim_reply_units
            else
                COMPREPLY=()
            fi
            ;;
        add-wants | add-requires)
            # the target first, then the units it should want or require
            if ((COMP_CWORD == verb_at + 1)); then
                _systemctl_shim_reply_units --type=target
            else
                _systemctl_shim_reply_units
            fi
            ;;
        link)
            # shellcheck disable=SC2207
            COMPREPLY=($(compgen -f -- "$cur"))
            ;;
        set-environment | unset-environment | import-environment | get-default | preset-all | \
            daemon-reload | daemon-reexec | show-environment | is-system-running | default | \
            halt | poweroff | reboot | exit | list-jobs)
            COMPREPLY=()
            ;;
        *) _systemctl_shim_reply_units ;;
    esac
}

complete -F _systemctl_shim systemctl

# bash completion for systemctl-shim's journalctl: the options it accepts, the output modes, and
# unit names for -u from systemctl. install.sh puts it in /etc/bash_completion.d/.
# shellcheck shell=bash

_journalctl_shim() {
    local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]-}
    local words='' w
    # OPTION=VALUE: bash splits it into OPTION, '=', VALUE
    if [[ $prev == = && $COMP_CWORD -ge 2 ]]; then
        prev=${COMP_WORDS[COMP_CWORD - 2]}
    elif [[ $cur == = ]]; then
        cur=''
    fi
    case $prev in
        -u | --unit)
            # the units the manager has run (their logs), and the installed ones
            words=$({
                systemctl --full --legend=no --no-pager --plain list-units --all
                systemctl --full --legend=no --no-pager --plain list-unit-files
            } 2>/dev/null | while read -r w _; do printf '%s\n' "$w"; done)
            ;;
        -o | --output)
            words='short short-full short-iso short-iso-precise short-precise short-unix cat
                with-unit json json-pretty json-seq json-sse export verbose'
            ;;
        -t | --identifier | -n | --lines | -b | --boot) ;;
        *)
            words='--unit= --identifier= --lines= --output= --reverse --follow --pager-end
                --no-tail --utc --no-hostname --boot --catalog --quiet --no-pager --no-full --all
                --system --merge --version --help -u -t -n -o -r -f -e -b -x -q -a -m -h'
            [[ $cur == -* ]] || words=''
            ;;
    esac
    COMPREPLY=()
    local list=()
    read -r -d '' -a list <<<"$words"
    for w in "${list[@]}"; do
        [[ $w == "$cur"* ]] && COMPREPLY+=("$w")
    done
    [[ ${COMPREPLY[0]-} == *= ]] && compopt -o nospace 2>/dev/null
    return 0
}

complete -F _journalctl_shim journalctl

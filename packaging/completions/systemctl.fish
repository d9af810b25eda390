# fish completion for systemctl-shim's systemctl: its verbs and options (not systemd's larger set),
# and unit names asked of systemctl itself. install.sh puts it in /etc/fish/completions/, which
# fish searches before its own systemctl completion.

# The verb of the command line being completed, if it has one yet.
function __systemctl_shim_verb
    set -l words (commandline -opc)
    set -e words[1]
    set -l skip 0
    for w in $words
        if test $skip = 1
            set skip 0
            continue
        end
        switch $w
            case '--*=*'
            case --root --image --type --state --property --preset-mode --signal --kill-whom --kill-who --job-mode --machine --host --lines --output --timestamp --what --message --unit -t -p -P -s -M -H -n -o
                set skip 1
            case '-*'
            case '*'
                echo $w
                return 0
        end
    end
    return 1
end

function __systemctl_shim_no_verb
    not __systemctl_shim_verb >/dev/null
end

# __systemctl_shim_verb_is VERB...: the command line's verb is one of VERB.
function __systemctl_shim_verb_is
    contains -- (__systemctl_shim_verb) $argv
end

# __systemctl_shim_units [LIST-UNIT-FILES OPTIONS...]: unit names in the scope (--user, --global)
# and root (--root) the command line names; with no options also the units of the running
# manager (transient ones, instances).
function __systemctl_shim_units
    set -l args
    set -l words (commandline -opc)
    for i in (seq 2 (count $words))
        switch $words[$i]
            case --user --global --system '--root=?*'
                set -a args $words[$i]
            case --root
                set -l next (math $i + 1)
                set -q words[$next]; and set -a args --root=$words[$next]
        end
    end
    begin
        systemctl $args --full --legend=no --no-pager --plain list-unit-files $argv
        if test (count $argv) -eq 0
            systemctl $args --full --legend=no --no-pager --plain list-units --all
        end
    end 2>/dev/null | string replace -r '\s.*' ''
end

complete -c systemctl -e
complete -c systemctl -f

# verbs
complete -c systemctl -n __systemctl_shim_no_verb -a list-unit-files -d 'List installed unit files'
complete -c systemctl -n __systemctl_shim_no_verb -a enable -d 'Enable unit files'
complete -c systemctl -n __systemctl_shim_no_verb -a disable -d 'Disable unit files'
complete -c systemctl -n __systemctl_shim_no_verb -a reenable -d 'Disable and enable unit files again'
complete -c systemctl -n __systemctl_shim_no_verb -a mask -d 'Mask unit files'
complete -c systemctl -n __systemctl_shim_no_verb -a unmask -d 'Unmask unit files'
complete -c systemctl -n __systemctl_shim_no_verb -a preset -d 'Enable or disable unit files as the presets say'
complete -c systemctl -n __systemctl_shim_no_verb -a preset-all -d 'Apply the presets to every unit file'
complete -c systemctl -n __systemctl_shim_no_verb -a is-enabled -d 'Tell whether unit files are enabled'
complete -c systemctl -n __systemctl_shim_no_verb -a link -d 'Link a unit file from outside the search path'
complete -c systemctl -n __systemctl_shim_no_verb -a revert -d 'Remove local changes to unit files'
complete -c systemctl -n __systemctl_shim_no_verb -a get-default -d 'Show the default target'
complete -c systemctl -n __systemctl_shim_no_verb -a set-default -d 'Set the default target'
complete -c systemctl -n __systemctl_shim_no_verb -a add-wants -d 'Add Wants= dependencies to a target'
complete -c systemctl -n __systemctl_shim_no_verb -a add-requires -d 'Add Requires= dependencies to a target'
complete -c systemctl -n __systemctl_shim_no_verb -a cat -d 'Show the files of units'
complete -c systemctl -n __systemctl_shim_no_verb -a show -d 'Show properties of units or the manager'
complete -c systemctl -n __systemctl_shim_no_verb -a daemon-reload -d 'Reload unit files'
complete -c systemctl -n __systemctl_shim_no_verb -a daemon-reexec -d 'Reload unit files (the manager is not re-executed)'
complete -c systemctl -n __systemctl_shim_no_verb -a list-units -d 'List the units the manager has loaded'
complete -c systemctl -n __systemctl_shim_no_verb -a list-sockets -d 'List socket units and what they listen on'
complete -c systemctl -n __systemctl_shim_no_verb -a list-timers -d 'List timer units'
complete -c systemctl -n __systemctl_shim_no_verb -a list-jobs -d 'List running jobs'
complete -c systemctl -n __systemctl_shim_no_verb -a list-dependencies -d "Show a unit's dependency tree"
complete -c systemctl -n __systemctl_shim_no_verb -a start -d 'Start units'
complete -c systemctl -n __systemctl_shim_no_verb -a stop -d 'Stop units'
complete -c systemctl -n __systemctl_shim_no_verb -a reload -d 'Reload units'
complete -c systemctl -n __systemctl_shim_no_verb -a restart -d 'Restart units'
complete -c systemctl -n __systemctl_shim_no_verb -a try-restart -d 'Restart units that are running'
complete -c systemctl -n __systemctl_shim_no_verb -a reload-or-restart -d 'Reload units, or restart those that cannot'
complete -c systemctl -n __systemctl_shim_no_verb -a try-reload-or-restart -d 'Reload or restart units that are running'
complete -c systemctl -n __systemctl_shim_no_verb -a reload-or-try-restart -d 'Reload or restart units that are running'
complete -c systemctl -n __systemctl_shim_no_verb -a force-reload -d 'Reload or restart units'
complete -c systemctl -n __systemctl_shim_no_verb -a condrestart -d 'Restart units that are running'
complete -c systemctl -n __systemctl_shim_no_verb -a condreload -d 'Reload or restart units that are running'
complete -c systemctl -n __systemctl_shim_no_verb -a isolate -d 'Start a unit and stop all others'
complete -c systemctl -n __systemctl_shim_no_verb -a kill -d 'Send a signal to the processes of units'
complete -c systemctl -n __systemctl_shim_no_verb -a clean -d 'Remove the configuration, state, cache or logs of units'
complete -c systemctl -n __systemctl_shim_no_verb -a reset-failed -d 'Reset the failed state of units'
complete -c systemctl -n __systemctl_shim_no_verb -a is-active -d 'Tell whether units are active'
complete -c systemctl -n __systemctl_shim_no_verb -a check -d 'Tell whether units are active'
complete -c systemctl -n __systemctl_shim_no_verb -a is-failed -d 'Tell whether units have failed'
complete -c systemctl -n __systemctl_shim_no_verb -a status -d 'Show the runtime status of units'
complete -c systemctl -n __systemctl_shim_no_verb -a help -d 'Show the manual pages of units'
complete -c systemctl -n __systemctl_shim_no_verb -a set-property -d 'Set properties of a unit'
complete -c systemctl -n __systemctl_shim_no_verb -a set-environment -d 'Set manager environment variables'
complete -c systemctl -n __systemctl_shim_no_verb -a unset-environment -d 'Unset manager environment variables'
complete -c systemctl -n __systemctl_shim_no_verb -a import-environment -d 'Import environment variables into the manager'
complete -c systemctl -n __systemctl_shim_no_verb -a show-environment -d 'Show the manager environment'
complete -c systemctl -n __systemctl_shim_no_verb -a is-system-running -d 'Tell whether the system is up (running, degraded, starting)'
complete -c systemctl -n __systemctl_shim_no_verb -a default -d 'Start the default target'
complete -c systemctl -n __systemctl_shim_no_verb -a halt -d 'Stop every unit and end the container'
complete -c systemctl -n __systemctl_shim_no_verb -a poweroff -d 'Stop every unit and end the container'
complete -c systemctl -n __systemctl_shim_no_verb -a reboot -d 'Stop every unit and end the container'
complete -c systemctl -n __systemctl_shim_no_verb -a exit -d 'Stop every unit and end the container with a code'
complete -c systemctl -n __systemctl_shim_no_verb -a edit -d 'Edit unit files (not supported)'
complete -c systemctl -n __systemctl_shim_no_verb -a init -d 'Become the service manager and boot a unit'

# the verbs' arguments
complete -c systemctl -n '__systemctl_shim_verb_is enable' -a '(__systemctl_shim_units --state=disabled,indirect)'
complete -c systemctl -n '__systemctl_shim_verb_is disable' -a '(__systemctl_shim_units --state=enabled,enabled-runtime,linked,linked-runtime,alias)'
complete -c systemctl -n '__systemctl_shim_verb_is unmask' -a '(__systemctl_shim_units --state=masked,masked-runtime)'
complete -c systemctl -n '__systemctl_shim_verb_is isolate set-default add-wants add-requires' -a '(__systemctl_shim_units --type=target)'
complete -c systemctl -n '__systemctl_shim_verb_is link' -F
complete -c systemctl -n '__systemctl_shim_verb_is list-unit-files reenable mask preset is-enabled revert cat show list-units list-sockets list-timers list-dependencies start stop reload restart try-restart reload-or-restart try-reload-or-restart reload-or-try-restart force-reload condrestart condreload kill clean reset-failed is-active check is-failed status help set-property edit init' -a '(__systemctl_shim_units)'
# add-wants/add-requires: after the target, the units it should want or require
complete -c systemctl -n '__systemctl_shim_verb_is add-wants add-requires; and test (count (commandline -opc)) -gt 2' -a '(__systemctl_shim_units)'

# options
complete -c systemctl -s h -l help -d 'Show help'
complete -c systemctl -l version -d 'Show the version'
complete -c systemctl -s q -l quiet -d 'Suppress output'
complete -c systemctl -l system -d 'The system manager'
complete -c systemctl -l user -d 'The user manager'
complete -c systemctl -l global -d 'Every user'
complete -c systemctl -l root -r -a '(__fish_complete_directories)' -d 'Operate on an alternate root'
complete -c systemctl -l image -r -F -d 'Operate on a disk image (not supported)'
complete -c systemctl -l no-reload -d 'Do not reload the manager after enable/disable'
complete -c systemctl -l runtime -d 'Make changes in /run only'
complete -c systemctl -s f -l force -d 'Overwrite existing links'
complete -c systemctl -s l -l full -d 'Do not ellipsize'
complete -c systemctl -l no-pager -d 'Do not pipe output into a pager'
complete -c systemctl -l no-legend -d 'Omit the legend'
complete -c systemctl -l legend -x -a 'yes no' -d 'Show or omit the legend'
complete -c systemctl -l plain -d 'List dependencies as a plain list'
complete -c systemctl -s t -l type -x -a 'service socket target device mount automount swap timer path slice scope help loaded not-found bad-setting error merged masked stub' -d 'Unit types or load states'
complete -c systemctl -l state -x -a 'active inactive failed activating deactivating reloading running exited dead listening waiting enabled disabled static masked indirect generated transient alias linked' -d 'Unit states'
complete -c systemctl -s a -l all -d 'Show all units or properties'
complete -c systemctl -l now -d 'Also start or stop the units'
complete -c systemctl -s p -l property -x -d 'Properties to show'
complete -c systemctl -s P -x -d 'The value of a property'
complete -c systemctl -l value -d 'Show only the values of properties'
complete -c systemctl -l preset-mode -x -a 'full enable-only disable-only' -d 'What preset may change'
complete -c systemctl -l no-block -d 'Do not wait for the job'
complete -c systemctl -l no-ask-password -d 'Do not ask for passwords'
complete -c systemctl -l no-wall -d 'Send no wall message'
complete -c systemctl -l wait -d 'Wait for the units to stop'
complete -c systemctl -s s -l signal -x -a 'SIGHUP SIGINT SIGQUIT SIGKILL SIGUSR1 SIGUSR2 SIGTERM SIGCONT SIGSTOP SIGRTMIN+3 SIGRTMIN+4 SIGRTMIN+5' -d 'Signal to send'
complete -c systemctl -l kill-whom -x -a 'main control all' -d 'Which processes to signal'
complete -c systemctl -l ignore-dependencies -d 'Ignore dependencies of the job'
complete -c systemctl -l job-mode -x -a 'fail replace replace-irreversibly isolate ignore-dependencies ignore-requirements flush triggering' -d 'How to handle queued jobs'
complete -c systemctl -s M -l machine -x -d 'Operate on a container'
complete -c systemctl -s H -l host -x -a '(__fish_print_hostnames)' -d 'Operate on a remote host'
complete -c systemctl -l marked -d 'Act on the units marked for restart or reload'
complete -c systemctl -s n -l lines -x -d 'Journal lines to show'
complete -c systemctl -s o -l output -x -a 'short short-iso short-precise short-unix cat with-unit json json-pretty' -d 'Journal output mode'
complete -c systemctl -s r -l recursive -d 'Also show units of local containers'
complete -c systemctl -l reverse -d 'Show reverse dependencies'
complete -c systemctl -l after -d 'Show the units ordered before'
complete -c systemctl -l before -d 'Show the units ordered after'
complete -c systemctl -l failed -d 'Show failed units'
complete -c systemctl -l show-types -d 'Show the socket types'
complete -c systemctl -l dry-run -d 'Only print what would be done'
complete -c systemctl -s i -l ignore-inhibitors -d 'Ignore inhibitor locks'
complete -c systemctl -l check-inhibitors -x -a 'yes no auto' -d 'Check inhibitor locks'
complete -c systemctl -l firmware-setup -d 'Reboot into the firmware setup'
complete -c systemctl -l timestamp -x -a 'pretty unix us utc us+utc' -d 'Timestamp format'
complete -c systemctl -l what -x -a 'configuration state cache logs runtime fdstore all' -d 'What clean removes'
complete -c systemctl -l with-dependencies -d 'Also the dependencies of the units'
complete -c systemctl -s T -l show-transaction -d 'Show the jobs of the transaction'
complete -c systemctl -l read-only -d 'Create read-only bind mounts'
complete -c systemctl -l mkdir -d 'Create the directory'
complete -c systemctl -l message -x -d 'Reason for the shutdown'
complete -c systemctl -l init -d 'Become the service manager'
complete -c systemctl -l unit -x -a '(__systemctl_shim_units)' -d 'The unit to boot'

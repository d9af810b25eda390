# fish completion for systemctl-shim's journalctl: the options it accepts, the output modes, and
# unit names for -u from systemctl. install.sh puts it in /etc/fish/completions/.

# The units the manager has run (their logs), and the installed ones.
function __journalctl_shim_units
    begin
        systemctl --full --legend=no --no-pager --plain list-units --all
        systemctl --full --legend=no --no-pager --plain list-unit-files
    end 2>/dev/null | string replace -r '\s.*' ''
end

complete -c journalctl -e
complete -c journalctl -f
complete -c journalctl -s h -l help -d 'Show help'
complete -c journalctl -l version -d 'Show the version'
complete -c journalctl -s u -l unit -x -a '(__journalctl_shim_units)' -d 'Show the logs of a unit'
complete -c journalctl -s t -l identifier -x -d 'Show the messages of a syslog identifier'
complete -c journalctl -s n -l lines -x -d 'Number of lines to show'
complete -c journalctl -s o -l output -x -a 'short short-full short-iso short-iso-precise short-precise short-unix cat with-unit json json-pretty json-seq json-sse export verbose' -d 'Output mode'
complete -c journalctl -s r -l reverse -d 'Newest first'
complete -c journalctl -s f -l follow -d 'Follow the logs'
complete -c journalctl -s e -l pager-end -d 'Jump to the end'
complete -c journalctl -l no-tail -d 'Show all lines, even when following'
complete -c journalctl -l utc -d 'Show times in UTC'
complete -c journalctl -l no-hostname -d 'Omit the host name'
complete -c journalctl -s b -l boot -d 'Logs of this boot'
complete -c journalctl -s x -l catalog -d 'Add explanations (no effect)'
complete -c journalctl -s q -l quiet -d 'Suppress informational messages'
complete -c journalctl -l no-pager -d 'Do not pipe output into a pager'
complete -c journalctl -l no-full -d 'Ellipsize fields'
complete -c journalctl -s a -l all -d 'Show all fields'
complete -c journalctl -l system -d 'The system journal'
complete -c journalctl -s m -l merge -d 'Every journal (no effect)'

# StartUnit() on the system bus and the result JobRemoved() gives for that job, as a client that
# waits for its job does (systemctl, Ansible's systemd module, cockpit).
import sys
import dbus
import dbus.mainloop.glib
from gi.repository import GLib

dbus.mainloop.glib.DBusGMainLoop(set_as_default=True)
bus = dbus.SystemBus()
manager = dbus.Interface(bus.get_object('org.freedesktop.systemd1', '/org/freedesktop/systemd1'),
                         'org.freedesktop.systemd1.Manager')
manager.Subscribe()
loop = GLib.MainLoop()
state = {'job': None, 'result': None}


def removed(job_id, job, unit, result):
    if job == state['job']:
        state['result'] = str(result)
        loop.quit()


bus.add_signal_receiver(removed, 'JobRemoved', 'org.freedesktop.systemd1.Manager')
try:
    state['job'] = manager.StartUnit(sys.argv[1], 'replace')
except dbus.DBusException as e:
    print('error', e.get_dbus_name())
    sys.exit(1)
GLib.timeout_add_seconds(60, loop.quit)
if state['result'] is None:
    loop.run()
print(state['result'])

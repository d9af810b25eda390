# A bus-activated daemon: takes the name given and serves until stopped.
import sys
import dbus
import dbus.mainloop.glib
from gi.repository import GLib

dbus.mainloop.glib.DBusGMainLoop(set_as_default=True)
bus = dbus.SystemBus()
bus.request_name(sys.argv[1])
GLib.MainLoop().run()

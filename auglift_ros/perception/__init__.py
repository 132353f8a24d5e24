"""Detector and depth backends behind small interfaces; they run without ROS."""
